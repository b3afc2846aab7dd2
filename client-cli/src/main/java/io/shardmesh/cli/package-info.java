/**
 * The {@code shardmesh} command line: a picocli root command with the design's verbs, global
 * {@code --node}, {@code --json} and {@code --quiet}, one-line errors and the contract's exit
 * codes.
 */
package io.shardmesh.cli;
