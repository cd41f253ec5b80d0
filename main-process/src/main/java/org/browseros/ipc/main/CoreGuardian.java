package org.browseros.ipc.main;

import com.typesafe.config.Config;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.pattern.StatusReply;
import org.browseros.ipc.main.core.Domain;
import org.browseros.ipc.main.persistence.JournalSchema;
import org.browseros.ipc.main.renderers.RendererSupervisor;
import org.browseros.ipc.protocol.system.SystemEvent;

/**
 * The user guardian of the core system: joins the cluster, makes sure the journal's tables exist,
 * then starts the domain (profiles, windows, tabs, settings, state, system monitor) and the
 * renderer supervisor.
 */
public final class CoreGuardian extends AbstractBehavior<CoreGuardian.Command> {

  public interface Command {}

  /** Starts domain and renderers; renderers are told to reach the gateway at {@code gatewayPath}. */
  public record Start(String gatewayPath, ActorRef<StatusReply<Started>> replyTo) implements Command {}

  /** What the edge needs from the core. */
  public record Started(Domain domain, ActorRef<RendererSupervisor.Command> supervisor) {}

  private record SchemaReady(Throwable failure) implements Command {}

  private record PublishSystemEvent(SystemEvent event) implements Command {}

  public static Behavior<Command> create(Config config) {
    return Behaviors.setup(context -> new CoreGuardian(context, config));
  }

  private final Config config;
  private boolean schemaReady;
  private Throwable schemaFailure;
  private Start pendingStart;
  private Domain domain;

  private CoreGuardian(ActorContext<Command> context, Config config) {
    super(context);
    this.config = config;
    Cluster cluster = Cluster.get(context.getSystem());
    if (config.getStringList("browseros.core.pekko.cluster.seed-nodes").isEmpty()) {
      // A single main node: it forms its own cluster.
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    context.pipeToSelf(JournalSchema.createIfNotExists(context.getSystem()), (Done done, Throwable t) -> new SchemaReady(t));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(SchemaReady.class, this::onSchemaReady)
        .onMessage(Start.class, this::onStart)
        .onMessage(PublishSystemEvent.class, this::onPublishSystemEvent)
        .build();
  }

  private Behavior<Command> onSchemaReady(SchemaReady ready) {
    schemaReady = true;
    schemaFailure = ready.failure();
    if (schemaFailure != null) {
      getContext().getLog().error("Cannot create the journal's tables", schemaFailure);
    }
    return startIfReady();
  }

  private Behavior<Command> onStart(Start start) {
    pendingStart = start;
    return startIfReady();
  }

  private Behavior<Command> startIfReady() {
    if (!schemaReady || pendingStart == null) {
      return this;
    }
    Start start = pendingStart;
    pendingStart = null;
    if (schemaFailure != null) {
      start.replyTo().tell(StatusReply.error("The journal is unavailable: " + schemaFailure.getMessage()));
      return this;
    }
    if (domain == null) {
      domain = Domain.start(getContext(), config);
    }
    ActorRef<SystemEvent> systemEvents = getContext().messageAdapter(SystemEvent.class, PublishSystemEvent::new);
    RendererSupervisor.Settings settings = RendererSupervisor.Settings.fromConfig(config).withGateway(start.gatewayPath());
    ActorRef<RendererSupervisor.Command> supervisor =
        getContext().spawn(RendererSupervisor.create(settings, systemEvents), "renderers");
    start.replyTo().tell(StatusReply.success(new Started(domain, supervisor)));
    return this;
  }

  private Behavior<Command> onPublishSystemEvent(PublishSystemEvent publish) {
    domain.publishSystemEvent(publish.event());
    return this;
  }
}
