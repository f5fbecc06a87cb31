package io.lakeshard.server;

import io.lakeshard.client.cli.LakeshardCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** One CLI command run in this JVM against a server, as a user types it: its exit code and what it printed. */
record CliRun(int exit, String out, String err) {
    /**
     * @param commandWords how many leading words name the (sub)command (1 for {@code query}, 2 for {@code traces
     *     show}): the server and key options go after them, where picocli takes them
     */
    static CliRun run(String server, String key, int commandWords, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = LakeshardCli.commandLine();
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.add(commandWords, "--server=" + server);
        all.add(commandWords + 1, "--key=" + key);
        int exit = commandLine.execute(all.toArray(String[]::new));
        return new CliRun(exit, out.toString(), err.toString());
    }
}
