package org.browseros.ipc.main.tab;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.browseros.ipc.main.persistence.Answerable;
import org.browseros.ipc.main.persistence.CommandFailures;
import org.browseros.ipc.main.persistence.JournalFailures;
import org.browseros.ipc.main.persistence.JournalHealth;
import org.browseros.ipc.main.persistence.JournalSerializable;
import org.browseros.ipc.main.state.StateHub;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.tab.TabInfo;

/**
 * One tab: its url, title, back/forward history, pinned, muted and active flags. Its window
 * decides which tab is active and tells it; input arrives here already checked. Each change is
 * published to the {@link StateHub} as {@code tabs/<id>}.
 */
public final class Tab extends EventSourcedBehavior<Tab.Command, Tab.Event, Tab.State> {

  /** History entries kept per tab; the oldest are dropped beyond this. */
  public static final int MAX_HISTORY = 100;

  public interface Command {}

  public record Get(ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  /** Absent (null) fields are unchanged. */
  public record Update(String title, Boolean pinned, Boolean muted, Boolean active,
      ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  /** From the window: this tab is (no longer) its active tab. */
  public record SetActive(boolean active) implements Command {}

  public record Navigate(String url, ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public record GoBack(ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public record GoForward(ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public interface Event extends JournalSerializable {}

  public record TabUpdated(String title, Boolean pinned, Boolean muted) implements Event {}

  public record ActiveChanged(boolean active) implements Event {}

  public record Navigated(String url) implements Event {}

  public record NavigatedBack(String url) implements Event {}

  public record NavigatedForward(String url) implements Event {}

  /** {@code history.get(index)} is the current url. */
  public record State(List<String> history, int index, String title, boolean pinned, boolean muted, boolean active)
      implements JournalSerializable {
    String url() {
      return history.get(index);
    }

    boolean canGoBack() {
      return index > 0;
    }

    boolean canGoForward() {
      return index < history.size() - 1;
    }
  }

  private final String tabId;
  private final String windowId;
  private final String initialUrl;
  private final String initialTitle;
  private final boolean initiallyActive;
  private final ActorRef<StateHub.Command> stateHub;
  private final ActorContext<Command> context;

  /**
   * @param initialUrl, initialTitle, initiallyActive the tab as its window created it (its state
   *     before any event of its own)
   */
  public static Behavior<Command> create(
      String profileId, String tabId, String windowId, String initialUrl, String initialTitle,
      boolean initiallyActive, ActorRef<StateHub.Command> stateHub) {
    // A bug thrown while handling a command restarts the tab, which recovers its state from the journal.
    return Behaviors.supervise(Behaviors.<Command>setup(context ->
            new Tab(context, profileId, tabId, windowId, initialUrl, initialTitle, initiallyActive, stateHub)))
        .onFailure(SupervisorStrategy.restart());
  }

  private Tab(
      ActorContext<Command> context, String profileId, String tabId, String windowId, String initialUrl, String initialTitle,
      boolean initiallyActive, ActorRef<StateHub.Command> stateHub) {
    super(PersistenceId.ofUniqueId("Tab|" + profileId + "|" + tabId),
        JournalFailures.RESTART_WITH_BACKOFF);
    this.context = context;
    this.tabId = tabId;
    this.windowId = windowId;
    this.initialUrl = initialUrl;
    this.initialTitle = initialTitle;
    this.initiallyActive = initiallyActive;
    this.stateHub = stateHub;
  }

  @Override
  public State emptyState() {
    return new State(List.of(initialUrl), 0, initialTitle, false, false, initiallyActive);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return CommandFailures.answerInternalOnFailure(newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), StatusReply.success(info(state))))
        .onCommand(Update.class, this::onUpdate)
        .onCommand(SetActive.class, this::onSetActive)
        .onCommand(Navigate.class, this::onNavigate)
        .onCommand(GoBack.class, this::onGoBack)
        .onCommand(GoForward.class, this::onGoForward)
        .build(), context.getLog(), "Tab " + tabId);
  }

  private Effect<Event, State> onUpdate(State state, Update update) {
    List<Event> events = new ArrayList<>();
    if (update.title() != null || update.pinned() != null || update.muted() != null) {
      events.add(new TabUpdated(update.title(), update.pinned(), update.muted()));
    }
    if (update.active() != null && update.active() != state.active()) {
      events.add(new ActiveChanged(update.active()));
    }
    return Effect().persist(events).thenRun(this::publish).thenReply(update.replyTo(), this::success);
  }

  private Effect<Event, State> onSetActive(State state, SetActive set) {
    if (set.active() == state.active()) {
      return Effect().none();
    }
    return Effect().persist(new ActiveChanged(set.active())).thenRun(this::publish);
  }

  private Effect<Event, State> onNavigate(State state, Navigate navigate) {
    return Effect().persist(new Navigated(navigate.url()))
        .thenRun(this::publish)
        .thenReply(navigate.replyTo(), this::success);
  }

  private Effect<Event, State> onGoBack(State state, GoBack back) {
    if (!state.canGoBack()) {
      return Effect().reply(back.replyTo(), conflict("Tab '" + tabId + "' cannot go back"));
    }
    return Effect().persist(new NavigatedBack(state.history().get(state.index() - 1)))
        .thenRun(this::publish)
        .thenReply(back.replyTo(), this::success);
  }

  private Effect<Event, State> onGoForward(State state, GoForward forward) {
    if (!state.canGoForward()) {
      return Effect().reply(forward.replyTo(), conflict("Tab '" + tabId + "' cannot go forward"));
    }
    return Effect().persist(new NavigatedForward(state.history().get(state.index() + 1)))
        .thenRun(this::publish)
        .thenReply(forward.replyTo(), this::success);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(TabUpdated.class, (s, e) -> new State(s.history(), s.index(),
            e.title() == null ? s.title() : e.title(),
            e.pinned() == null ? s.pinned() : e.pinned(),
            e.muted() == null ? s.muted() : e.muted(),
            s.active()))
        .onEvent(ActiveChanged.class, (s, e) ->
            new State(s.history(), s.index(), s.title(), s.pinned(), s.muted(), e.active()))
        .onEvent(Navigated.class, Tab::navigated)
        .onEvent(NavigatedBack.class, (s, e) ->
            new State(s.history(), s.index() - 1, e.url(), s.pinned(), s.muted(), s.active()))
        .onEvent(NavigatedForward.class, (s, e) ->
            new State(s.history(), s.index() + 1, e.url(), s.pinned(), s.muted(), s.active()))
        .build();
  }

  /** Navigating drops the forward entries; the page title is the url until something sets one. */
  private static State navigated(State s, Navigated e) {
    List<String> history = new ArrayList<>(s.history().subList(0, s.index() + 1));
    history.add(e.url());
    while (history.size() > MAX_HISTORY) {
      history.remove(0);
    }
    return new State(List.copyOf(history), history.size() - 1, e.url(), s.pinned(), s.muted(), s.active());
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::publish)
        .onSignal(RecoveryFailed.class, (state, failed) ->
            JournalHealth.reportFailure(context, persistenceId().id(), failed.getFailure()))
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  private void publish(State state) {
    stateHub.tell(new StateHub.Put("tabs/" + tabId, PayloadCodec.toTree(info(state))));
  }

  private StatusReply<TabInfo> success(State state) {
    return StatusReply.success(info(state));
  }

  private TabInfo info(State state) {
    return new TabInfo(tabId, windowId, state.url(), state.title(), state.canGoBack(), state.canGoForward(),
        state.pinned(), state.muted(), state.active());
  }

  private static <T> StatusReply<T> conflict(String message) {
    return StatusReply.error(new IpcException(ErrorCode.CONFLICT, message));
  }
}
