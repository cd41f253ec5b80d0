package org.browseros.ipc.main.gateway;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.CoreApi;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.main.monitor.MessageTap;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.parts.EnvelopePart;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.Refused;
import org.browseros.ipc.protocol.session.ToGateway;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;

/**
 * The one actor renderers may look up ({@code /user/gateway} on the edge system, the only trusted
 * selection path). It checks a renderer's {@link Hello} with the supervisor and, when the secret is
 * good, spawns that renderer's {@link Connection} under an unguessable name.
 *
 * <p>Its behaviour type is the wire type {@link ToGateway}; internal commands extend it but are not
 * serializable, so no renderer can send them.
 */
public final class Gateway extends AbstractBehavior<ToGateway> {

  /** Internal commands: sent from within main only. */
  public interface Command extends ToGateway {}

  private record Authenticated(Hello hello, Admission.Admitted admitted) implements Command {}

  private record AuthenticationFailed(Hello hello, IpcError error) implements Command {}

  private record ConnectionStopped(String rendererId, ActorRef<ToMain> connection, ActorRef<ToRenderer> renderer,
      String secretDigest) implements Command {}

  public static Behavior<ToGateway> create(
      CoreApi core, IpcMain ipcMain, Admission admission, ConnectionRegistry registry, GatewaySettings settings) {
    return create(core, ipcMain, admission, registry, settings, MessageTap.NONE);
  }

  /** @param tap installed on every connection (the IPC monitor) */
  public static Behavior<ToGateway> create(CoreApi core, IpcMain ipcMain, Admission admission,
      ConnectionRegistry registry, GatewaySettings settings, MessageTap tap) {
    return Behaviors.setup(context -> new Gateway(context, core, ipcMain, admission, registry, settings, tap));
  }

  private final CoreApi core;
  private final IpcMain ipcMain;
  private final Admission admission;
  private final ConnectionRegistry registry;
  private final GatewaySettings settings;
  private final MessageTap tap;
  private final SecureRandom random = new SecureRandom();
  // Renderers with a handshake under way or a live connection, with a digest of the secret that
  // started it: a retried Hello with that secret (sent while the Welcome was in flight) is a
  // duplicate; one with another secret (a resume token) starts a new session.
  private final Map<ActorRef<ToRenderer>, String> sessions = new HashMap<>();
  // Random per main start: a renderer that reconnects learns whether main restarted.
  private final String mainInstanceId = HexFormat.of().formatHex(nextToken());
  // Per renderer id, across its connections: re-sent requests are answered without running twice.
  private final Map<String, RequestLog> requestLogs = new HashMap<>();

  private Gateway(
      ActorContext<ToGateway> context,
      CoreApi core,
      IpcMain ipcMain,
      Admission admission,
      ConnectionRegistry registry,
      GatewaySettings settings,
      MessageTap tap) {
    super(context);
    this.core = core;
    this.ipcMain = ipcMain;
    this.admission = admission;
    this.registry = registry;
    this.settings = settings;
    this.tap = tap;
  }

  @Override
  public Receive<ToGateway> createReceive() {
    return newReceiveBuilder()
        .onMessage(Hello.class, this::onHello)
        .onMessage(Authenticated.class, this::onAuthenticated)
        .onMessage(AuthenticationFailed.class, this::onAuthenticationFailed)
        .onMessage(ConnectionStopped.class, this::onConnectionStopped)
        .build();
  }

  private Behavior<ToGateway> onHello(Hello hello) {
    if (hello.renderer() == null) {
      getContext().getLog().warn("Dropping a Hello without a reply address");
      return this;
    }
    if (hello.protocolVersion() != Hello.PROTOCOL_VERSION) {
      hello.renderer().tell(new Refused(IpcError.of(ErrorCode.VALIDATION, "Protocol version "
          + hello.protocolVersion() + " is not supported; main speaks " + Hello.PROTOCOL_VERSION)));
      return this;
    }
    if (hello.secret() == null || hello.secret().isEmpty()) {
      hello.renderer().tell(new Refused(IpcError.of(ErrorCode.PERMISSION, "A launch secret is required")));
      return this;
    }
    String digest = digest(hello.secret());
    if (digest.equals(sessions.put(hello.renderer(), digest))) {
      getContext().getLog().debug("Ignoring a retried Hello from renderer [{}]", hello.rendererId());
      return this;
    }
    getContext().pipeToSelf(
        admission.admit(hello.rendererId(), hello.secret()).toCompletableFuture()
            .orTimeout(settings.authenticationTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS),
        (admitted, failure) -> failure == null
            ? new Authenticated(hello, admitted)
            : new AuthenticationFailed(hello, IpcException.errorOf(failure)));
    return this;
  }

  private Behavior<ToGateway> onAuthenticated(Authenticated authenticated) {
    Caller caller = authenticated.admitted().caller();
    String token = authenticated.admitted().resumeToken();
    // Only resumable renderers keep a log across connections; a console's ends with its connection.
    RequestLog requests = token == null
        ? new RequestLog()
        : requestLogs.computeIfAbsent(caller.rendererId(), id -> new RequestLog());
    String name = "connection-" + HexFormat.of().formatHex(nextToken());
    ActorRef<ToMain> connection = getContext().spawn(
        Connection.create(caller, new ArteryOutbound(authenticated.hello().renderer(),
            EnvelopePart.partBytes(getContext().getSystem().settings().config())), core, ipcMain, admission, settings, tap,
            new Resumption(token, mainInstanceId, requests)),
        name);
    getContext().watchWith(connection, new ConnectionStopped(caller.rendererId(), connection,
        authenticated.hello().renderer(), digest(authenticated.hello().secret())));
    registry.put(caller.rendererId(), connection).ifPresent(previous -> {
      getContext().getLog().info("Renderer [{}] connected again: closing its previous connection", caller.rendererId());
      previous.tell(new Connection.Close("replaced by a new connection", false));
    });
    admission.connected(caller.rendererId());
    return this;
  }

  private static String digest(String secret) {
    try {
      return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] nextToken() {
    byte[] token = new byte[16];
    random.nextBytes(token);
    return token;
  }

  private Behavior<ToGateway> onAuthenticationFailed(AuthenticationFailed failed) {
    IpcError error = failed.error();
    getContext().getLog().warn("Refusing renderer [{}]: {} {}", failed.hello().rendererId(), error.code(), error.message());
    sessions.remove(failed.hello().renderer(), digest(failed.hello().secret()));
    failed.hello().renderer().tell(new Refused(error));
    return this;
  }

  private Behavior<ToGateway> onConnectionStopped(ConnectionStopped stopped) {
    registry.remove(stopped.rendererId(), stopped.connection());
    sessions.remove(stopped.renderer(), stopped.secretDigest());
    return this;
  }
}
