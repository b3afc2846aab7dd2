package io.shardmesh.cli;

/** {@code shardmesh}: the command line's entry point. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // Commands print their own results; node logs (INFO) are for the node and up commands,
        // or for -v. Set before anything logs, so Logback reads it when it starts.
        java.util.List<String> a = java.util.List.of(args);
        boolean serving = !a.isEmpty() && (a.get(0).equals("node") || a.get(0).equals("up"));
        if (System.getProperty("shardmesh.log.level") == null) {
            System.setProperty("shardmesh.log.level", a.contains("-v") || a.contains("--verbose") ? "DEBUG" : serving ? "INFO" : "WARN");
        }
        System.exit(ShardmeshCommand.commandLine().execute(args));
    }
}
