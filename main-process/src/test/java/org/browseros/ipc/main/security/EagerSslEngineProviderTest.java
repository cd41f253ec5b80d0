package org.browseros.ipc.main.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.apache.pekko.actor.ActorSystem;
import org.browseros.ipc.protocol.EagerSslEngineProvider;
import org.browseros.ipc.protocol.TransportSecurity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS engine provider of the edge, renderers and consoles: its context is ready before the
 * first connection, and what it builds is what Artery's own provider builds (TLS 1.3, mutual
 * authentication on main's key material).
 */
class EagerSslEngineProviderTest {
  private ActorSystem system;

  @AfterEach
  void stop() throws Exception {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void shouldBeTheProviderOfEveryEdgeConfigButNotOfTheCore(@TempDir Path data) throws Exception {
    Path tls = TlsMaterial.ensure(data);
    String key = "pekko.remote.artery.ssl.ssl-engine-provider";
    assertEquals(EagerSslEngineProvider.class.getName(), TransportSecurity.arteryConfig(tls).getString(key));
    assertEquals("org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider",
        TransportSecurity.arteryConfig(tls, TransportSecurity.CORE_PREFIX).getString(key));
  }

  @Test
  void shouldBuildItsContextBeforeAnyConnectionAndHandshakeMutually(@TempDir Path data) throws Exception {
    Path tls = TlsMaterial.ensure(data);
    EagerSslEngineProvider renderer = new EagerSslEngineProvider(system(TransportSecurity.arteryConfig(tls)));
    EagerSslEngineProvider edge = new EagerSslEngineProvider(system);
    renderer.ready().get(30, TimeUnit.SECONDS);
    edge.ready().get(30, TimeUnit.SECONDS);

    SSLEngine client = renderer.createClientSSLEngine("127.0.0.1", 25520);
    SSLEngine server = edge.createServerSSLEngine("127.0.0.1", 25520);
    EagerSslEngineProvider.handshake(client, server);
    assertEquals("TLSv1.3", client.getSession().getProtocol());
    assertTrue(server.getNeedClientAuth(), "mutual authentication");
    assertEquals(1, server.getSession().getPeerCertificates().length, "the server saw the client's certificate");
  }

  @Test
  void shouldRefuseAPeerWithOtherKeyMaterial(@TempDir Path ours, @TempDir Path theirs) throws Exception {
    EagerSslEngineProvider edge = new EagerSslEngineProvider(system(TransportSecurity.arteryConfig(TlsMaterial.ensure(ours))));
    Config other = TransportSecurity.arteryConfig(TlsMaterial.ensure(theirs)).getConfig("pekko.remote.artery.ssl.config-ssl-engine")
        .withFallback(system.settings().config().getConfig("pekko.remote.artery.ssl.config-ssl-engine"));
    EagerSslEngineProvider stranger = new EagerSslEngineProvider(other, org.apache.pekko.event.NoMarkerLogging$.MODULE$);
    edge.ready().get(30, TimeUnit.SECONDS);
    stranger.ready().get(30, TimeUnit.SECONDS);

    assertThrows(SSLException.class, () -> EagerSslEngineProvider.handshake(stranger.createClientSSLEngine("127.0.0.1", 25520),
        edge.createServerSSLEngine("127.0.0.1", 25520)));
  }

  @Test
  void shouldLeaveAFailureToTheFirstConnection(@TempDir Path data) throws Exception {
    Config broken = TransportSecurity.arteryConfig(TlsMaterial.ensure(data))
        .withValue("pekko.remote.artery.ssl.config-ssl-engine.key-store-password", ConfigValueFactory.fromAnyRef("wrong"));
    EagerSslEngineProvider provider = new EagerSslEngineProvider(system(broken));

    assertThrows(ExecutionException.class, () -> provider.ready().get(30, TimeUnit.SECONDS));
    assertThrows(RuntimeException.class, () -> provider.createServerSSLEngine("127.0.0.1", 25520));
  }

  /** A local actor system (no transport) whose config has the TLS section the provider reads. */
  private ActorSystem system(Config tls) {
    system = ActorSystem.create("tls", tls.withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
        .withFallback(ConfigFactory.load()));
    return system;
  }
}
