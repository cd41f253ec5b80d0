package org.browseros.ipc.main;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.browseros.ipc.main.gateway.Admission;
import org.browseros.ipc.main.gateway.ConnectionRegistry;
import org.browseros.ipc.main.gateway.Gateway;
import org.browseros.ipc.main.gateway.GatewaySettings;
import org.browseros.ipc.main.ipc.CoreApi;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.main.monitor.MessageTap;

/**
 * The user guardian of the edge system ({@code /user}): its one child is the gateway, so the
 * gateway's path is {@code /user/gateway}, the only path renderers may select.
 */
public final class EdgeGuardian extends AbstractBehavior<EdgeGuardian.Command> {

  public interface Command {}

  /** Spawns the gateway once the core is up, and answers with the registry of its connections. */
  public record StartGateway(CoreApi core, IpcMain ipcMain, Admission admission, GatewaySettings settings,
      MessageTap tap, ActorRef<ConnectionRegistry> replyTo) implements Command {
    public StartGateway(
        CoreApi core, IpcMain ipcMain, Admission admission, GatewaySettings settings, ActorRef<ConnectionRegistry> replyTo) {
      this(core, ipcMain, admission, settings, MessageTap.NONE, replyTo);
    }
  }

  public static Behavior<Command> create() {
    return Behaviors.setup(EdgeGuardian::new);
  }

  private EdgeGuardian(ActorContext<Command> context) {
    super(context);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(StartGateway.class, this::onStartGateway).build();
  }

  private Behavior<Command> onStartGateway(StartGateway start) {
    ConnectionRegistry registry = new ConnectionRegistry(getContext().getSystem().scheduler());
    getContext().spawn(Gateway.create(start.core(), start.ipcMain(), start.admission(), registry, start.settings(), start.tap()),
        "gateway");
    start.ipcMain().attach(registry);
    start.replyTo().tell(registry);
    return this;
  }
}
