/**
 * JMH microbenchmarks of the data path's hot pieces, each beside the JDK or library baseline it
 * is held against in the same run: Reed-Solomon encode and rebuild ({@code ErasureBenchmark}),
 * SHA-256 of a shard from the array and buffer forms the pipelines use ({@code HashBenchmark}),
 * and a GetChunk frame through protobuf the way gRPC's marshaller moves it ({@code FrameBenchmark}).
 * Run by hand (README, "How fast"); the build only compiles them.
 */
package io.shardmesh.benchmarks;
