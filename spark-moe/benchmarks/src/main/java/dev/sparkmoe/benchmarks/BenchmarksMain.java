package dev.sparkmoe.benchmarks;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * The benchmarks jar's main: runs JMH with its usual command line ({@code -h} lists the options),
 * then prints every result as GFLOP/s, and the expert FFN as a fraction of the plain sgemm at the
 * same shapes when both ran. Run through {@code spark-moe/benchmarks/bin/jmh}, which sets one BLAS
 * thread.
 */
public final class BenchmarksMain {
  private BenchmarksMain() {}

  public static void main(String[] args) throws Exception {
    CommandLineOptions options = new CommandLineOptions(args);
    if (options.shouldHelp()
        || options.shouldList()
        || options.shouldListWithParams()
        || options.shouldListProfilers()
        || options.shouldListResultFormats()) {
      org.openjdk.jmh.Main.main(args);
      return;
    }
    Collection<RunResult> results = new Runner(options).run();
    System.out.println();
    System.out.print(GflopsTable.render(results));
  }
}
