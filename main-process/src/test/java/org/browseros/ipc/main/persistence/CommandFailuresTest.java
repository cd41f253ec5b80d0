package org.browseros.ipc.main.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A journaled actor built the way Tab, Window, Settings and Profile are (supervised restart, the
 * journal's backoff, {@link CommandFailures}) with a bug in one command: the failing request alone
 * gets INTERNAL at once, the actor restarts with its journaled state, a sibling is untouched.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CommandFailuresTest {
  @JUnit5TestKit
  final ActorTestKit testKit =
      new JUnit5TestKitBuilder().withCustomConfig(TestJournal.config(TestJournal.newDataDir())).build();

  @BeforeAll
  void schema() {
    TestJournal.createSchema(testKit.system());
  }

  /** A counter whose {@code Buggy} command throws, like a bug in a domain actor. */
  static final class Counter extends EventSourcedBehavior<Counter.Command, Counter.Added, Integer> {
    interface Command {}

    record Add(int amount, ActorRef<StatusReply<Integer>> replyTo) implements Command, Answerable<Integer> {}

    record Buggy(ActorRef<StatusReply<Integer>> replyTo) implements Command, Answerable<Integer> {}

    record Added(int amount) implements JournalSerializable {}

    private final ActorContext<Command> context;

    static Behavior<Command> create(String id) {
      return Behaviors.supervise(Behaviors.<Command>setup(context -> new Counter(context, id)))
          .onFailure(SupervisorStrategy.restart());
    }

    private Counter(ActorContext<Command> context, String id) {
      super(PersistenceId.ofUniqueId("CommandFailuresTest|" + id), JournalFailures.RESTART_WITH_BACKOFF);
      this.context = context;
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public CommandHandler<Command, Added, Integer> commandHandler() {
      return CommandFailures.answerInternalOnFailure(newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(Add.class, (state, add) -> Effect().persist(new Added(add.amount()))
              .thenReply(add.replyTo(), StatusReply::success))
          .onCommand(Buggy.class, (state, buggy) -> {
            throw new IllegalStateException("a bug");
          })
          .build(), context.getLog(), "Counter");
    }

    @Override
    public EventHandler<Integer, Added> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onEvent(Added.class, (state, added) -> state + added.amount()).build();
    }
  }

  @Test
  void shouldAnswerTheFailingRequestWithInternalAndRecoverTheActorFromItsJournal() {
    ActorRef<Counter.Command> counter = testKit.spawn(Counter.create("a"));
    ActorRef<Counter.Command> sibling = testKit.spawn(Counter.create("b"));
    TestProbe<StatusReply<Integer>> probe = testKit.createTestProbe();
    counter.tell(new Counter.Add(5, probe.getRef()));
    assertEquals(5, probe.receiveMessage().getValue());
    sibling.tell(new Counter.Add(7, probe.getRef()));
    assertEquals(7, probe.receiveMessage().getValue());

    counter.tell(new Counter.Buggy(probe.getRef()));
    // Well before any ask timeout: the answer comes from the failing incarnation itself.
    StatusReply<Integer> failed = probe.receiveMessage(Duration.ofSeconds(3));
    assertFalse(failed.isSuccess());
    assertTrue(failed.getError() instanceof IpcException);
    assertEquals(ErrorCode.INTERNAL, ((IpcException) failed.getError()).code());

    // The restarted counter recovered 5 from its journal and takes the next command.
    counter.tell(new Counter.Add(1, probe.getRef()));
    assertEquals(6, probe.receiveMessage().getValue());
    sibling.tell(new Counter.Add(1, probe.getRef()));
    assertEquals(8, probe.receiveMessage().getValue());
  }
}
