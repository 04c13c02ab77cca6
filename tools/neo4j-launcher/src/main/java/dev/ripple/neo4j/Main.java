package dev.ripple.neo4j;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Result;
import org.neo4j.graphdb.Transaction;
import org.neo4j.io.ByteUnit;

/**
 * Runs an embedded Neo4j Community with a Bolt connector on 127.0.0.1:PORT,
 * for development and CI (no Docker, no Neo4j tarball needed).
 *
 * Usage: Main HOME_DIR PORT
 *
 * The page cache size comes from the system property ripple.neo4j.pagecache
 * (a Neo4j byte size such as 768m or 2g; scripts/neo4j sizes it from the
 * store), 256 MiB without it.
 *
 * Prints "NEO4J READY bolt://127.0.0.1:PORT" once the default database has
 * answered a query; scripts/neo4j waits for that line. Stops cleanly on
 * SIGTERM/SIGINT via a shutdown hook.
 */
public final class Main {
    private static final String HOST = "127.0.0.1";

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: Main HOME_DIR PORT");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        String uri = "bolt://" + HOST + ":" + port;

        try {
            DatabaseManagementService dbms = start(home, port);
            // Registered only after build(): before that there is nothing to shut down,
            // and an interrupted start is recovered by Neo4j on the next start.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                log("NEO4J STOPPING");
                dbms.shutdown();
                log("NEO4J STOPPED");
            }, "neo4j-shutdown"));

            GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
            log("NEO4J VERSION " + checkAndGetVersion(db));
            log("NEO4J HOME " + home);
            log("NEO4J PAGECACHE " + pageCache() + " bytes");
            log("NEO4J READY " + uri);
        } catch (Throwable t) {
            // Neo4j may already have started non-daemon threads, so a thrown exception
            // would not end the JVM by itself; exit explicitly so the script sees it die
            // (System.exit runs the shutdown hook if the database did come up).
            t.printStackTrace();
            log("NEO4J FAILED " + t);
            System.exit(1);
        }

        // Keep the process alive until a signal runs the shutdown hook.
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static DatabaseManagementService start(Path home, int port) {
        // Same address for listening and advertising: neo4j:// routing URIs get the
        // advertised address back from the routing table, so it must be reachable.
        SocketAddress bolt = new SocketAddress(HOST, port);
        return new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, bolt)
                .setConfig(BoltConnector.advertised_address, bolt)
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                // Off by default in embedded mode; explicit so a default change cannot lock tests out.
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                // Explicit: Neo4j would otherwise size the page cache from all of RAM,
                // on a machine shared with other servers.
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache())
                // Preallocating transaction logs costs disk and start time for nothing in dev/CI.
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Internal setting: Netty's shutdown quiet period (default 5 s) made every
                // stop take ~5 s; 1 s is plenty for a dev/CI server.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 1)
                .build();
    }

    /** The page cache size: ripple.neo4j.pagecache, or 256 MiB. */
    private static long pageCache() {
        String v = System.getProperty("ripple.neo4j.pagecache", "").trim();
        return v.isEmpty() ? ByteUnit.mebiBytes(256) : ByteUnit.parse(v);
    }

    /** Proves the default database answers Cypher; returns the Neo4j version string. */
    private static String checkAndGetVersion(GraphDatabaseService db) {
        try (Transaction tx = db.beginTx()) {
            try (Result r = tx.execute("RETURN 1 AS ok")) {
                Object ok = r.next().get("ok");
                if (!Long.valueOf(1).equals(ok)) {
                    throw new IllegalStateException("RETURN 1 returned " + ok);
                }
            }
            String version;
            try (Result r = tx.execute("CALL dbms.components() YIELD versions RETURN versions[0] AS v")) {
                version = String.valueOf(r.next().get("v"));
            }
            tx.commit();
            return version;
        }
    }

    private static void log(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
