package org.browseros.ipc.main.renderers;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.browseros.ipc.main.gateway.Admission;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.protocol.renderers.RendererList;

/** The gateway's {@link Admission}, answered by the {@link RendererSupervisor} in the core system. */
public final class SupervisorAdmission implements Admission {
  private final ActorRef<RendererSupervisor.Command> supervisor;
  private final Scheduler scheduler;
  private final Duration timeout;
  private final Duration restartTimeout;

  public SupervisorAdmission(ActorRef<RendererSupervisor.Command> supervisor, Scheduler scheduler, Duration timeout) {
    this.supervisor = supervisor;
    this.scheduler = scheduler;
    this.timeout = timeout;
    // A restart waits for the old process to stop and the new one to run.
    this.restartTimeout = timeout.plusSeconds(15);
  }

  @Override
  public CompletionStage<Caller> authenticate(String rendererId, String secret) {
    return AskPattern.askWithStatus(supervisor,
        replyTo -> new RendererSupervisor.Authenticate(rendererId, secret, replyTo), timeout, scheduler);
  }

  @Override
  public CompletionStage<Admitted> admit(String rendererId, String secret) {
    return AskPattern.askWithStatus(supervisor,
        replyTo -> new RendererSupervisor.Admit(rendererId, secret, replyTo), timeout, scheduler);
  }

  @Override
  public void connected(String rendererId) {
    supervisor.tell(new RendererSupervisor.Connected(rendererId));
  }

  @Override
  public void disconnected(String rendererId, String reason) {
    supervisor.tell(new RendererSupervisor.Disconnected(rendererId, reason));
  }

  @Override
  public CompletionStage<org.apache.pekko.Done> restart(String rendererId) {
    return AskPattern.askWithStatus(supervisor, replyTo -> new RendererSupervisor.Restart(rendererId, replyTo),
        restartTimeout, scheduler);
  }

  @Override
  public void badMessage(String rendererId, String reason) {
    supervisor.tell(new RendererSupervisor.BadMessage(rendererId, reason));
  }

  @Override
  public CompletionStage<RendererList> renderers() {
    return AskPattern.ask(supervisor, RendererSupervisor.ListRenderers::new, timeout, scheduler);
  }
}
