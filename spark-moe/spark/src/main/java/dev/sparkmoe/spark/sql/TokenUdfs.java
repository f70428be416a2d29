package dev.sparkmoe.spark.sql;

import java.util.Iterator;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The function instances behind {@code moe_truncate} and {@code moe_windows}. This class gives the
 * CPU ones; spark-moe-rapids registers a subclass (through {@code
 * META-INF/services/dev.sparkmoe.spark.sql.TokenUdfs}) whose instances also implement RAPIDS'
 * {@code RapidsUDF}, so that the RAPIDS Accelerator runs them on the GPU. That subclass is looked
 * for only where RAPIDS' {@code com.nvidia.spark.RapidsUDF} is on the class path: CPU users need
 * neither jar.
 */
public class TokenUdfs {
  static final String RAPIDS_UDF = "com.nvidia.spark.RapidsUDF";
  private static final Logger LOG = LoggerFactory.getLogger(TokenUdfs.class);

  public TruncateTokens truncate() {
    return new TruncateTokens();
  }

  public TokenWindows windows() {
    return new TokenWindows();
  }

  /**
   * The GPU instances where RAPIDS and spark-moe-rapids are on the class path, else the CPU ones.
   */
  static TokenUdfs active() {
    ClassLoader loader = loader();
    if (!rapidsPresent(loader)) {
      return new TokenUdfs();
    }
    try {
      Iterator<TokenUdfs> found = ServiceLoader.load(TokenUdfs.class, loader).iterator();
      if (found.hasNext()) {
        return found.next();
      }
      LOG.info(
          "RAPIDS is on the class path but spark-moe-rapids is not: {} and {} run on the CPU;"
              + " add the spark-moe-rapids jar (spark-moe-all has it) to run them on the GPU",
          TruncateTokens.NAME,
          TokenWindows.NAME);
    } catch (ServiceConfigurationError | LinkageError e) {
      LOG.warn(
          "Cannot load spark-moe-rapids' GPU functions: {}; {} and {} run on the CPU",
          e.toString(),
          TruncateTokens.NAME,
          TokenWindows.NAME);
    }
    return new TokenUdfs();
  }

  static boolean rapidsPresent(ClassLoader loader) {
    try {
      Class.forName(RAPIDS_UDF, false, loader);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private static ClassLoader loader() {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : TokenUdfs.class.getClassLoader();
  }
}
