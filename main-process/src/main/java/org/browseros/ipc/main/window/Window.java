package org.browseros.ipc.main.window;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.browseros.ipc.main.persistence.Answerable;
import org.browseros.ipc.main.persistence.CommandFailures;
import org.browseros.ipc.main.persistence.JournalFailures;
import org.browseros.ipc.main.persistence.JournalHealth;
import org.browseros.ipc.main.persistence.JournalSerializable;
import org.browseros.ipc.main.state.StateHub;
import org.browseros.ipc.main.tab.Tab;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.tab.TabDeleted;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.window.Bounds;
import org.browseros.ipc.protocol.window.WindowClosed;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.protocol.window.WindowState;

/**
 * One window: title, bounds, show state, focus, its tabs in order and which one is active (at
 * most one; a new tab is active unless asked otherwise; deleting the active tab activates a
 * neighbour). Spawns one {@link Tab} per tab and keeps their {@code active} flag in line with its
 * own record. Input arrives here already checked by the profile. Published to the
 * {@link StateHub} as {@code windows/<id>}.
 */
public final class Window extends EventSourcedBehavior<Window.Command, Window.Event, Window.State> {

  public interface Command {}

  public record Get(ActorRef<StatusReply<WindowInfo>> replyTo) implements Command, Answerable<WindowInfo> {}

  /** Absent (null) fields are unchanged. */
  public record Update(String title, Bounds bounds, WindowState state, Boolean focused,
      ActorRef<StatusReply<WindowInfo>> replyTo) implements Command, Answerable<WindowInfo> {}

  /** Closes the window and all its tabs, then stops. */
  public record Close(ActorRef<StatusReply<WindowClosed>> replyTo) implements Command, Answerable<WindowClosed> {}

  public record AddTab(String tabId, String url, boolean active, ActorRef<StatusReply<TabInfo>> replyTo)
      implements Command, Answerable<TabInfo> {}

  public record UpdateTab(String tabId, String title, Boolean pinned, Boolean muted, Boolean active,
      ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public record RemoveTab(String tabId, ActorRef<StatusReply<TabDeleted>> replyTo) implements Command, Answerable<TabDeleted> {}

  public record Navigate(String tabId, String url, ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public record GoBack(String tabId, ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public record GoForward(String tabId, ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public interface Event extends JournalSerializable {}

  public record WindowUpdated(String title, Bounds bounds, WindowState state, Boolean focused) implements Event {}

  /** A tab opened with this url and title (the tab's state before any event of its own). */
  public record TabOpened(String tabId, String url, String title) implements Event {}

  /** {@code tabId} null: no tab is active. */
  public record ActiveTabChanged(String tabId) implements Event {}

  public record TabClosed(String tabId, String newActiveTab) implements Event {}

  public record Closed(List<String> closedTabs) implements Event {}

  public record TabSeed(String tabId, String url, String title) implements JournalSerializable {}

  public record State(String title, Bounds bounds, WindowState state, boolean focused, List<TabSeed> tabs,
      String activeTab, boolean closed) implements JournalSerializable {
    List<String> tabIds() {
      return tabs.stream().map(TabSeed::tabId).toList();
    }

    boolean holds(String tabId) {
      return tabs.stream().anyMatch(t -> t.tabId().equals(tabId));
    }

    State with(List<TabSeed> newTabs, String newActive) {
      return new State(title, bounds, state, focused, List.copyOf(newTabs), newActive, closed);
    }
  }

  private final ActorContext<Command> context;
  private final String profileId;
  private final String windowId;
  private final String initialTitle;
  private final Bounds initialBounds;
  private final ActorRef<StateHub.Command> stateHub;
  private final Map<String, ActorRef<Tab.Command>> children = new HashMap<>();

  /**
   * @param initialTitle, initialBounds the window as the profile created it (its state before any
   *     event of its own)
   */
  public static Behavior<Command> create(
      String profileId, String windowId, String initialTitle, Bounds initialBounds,
      ActorRef<StateHub.Command> stateHub) {
    // A bug thrown while handling a command restarts the window, which recovers from the journal.
    return Behaviors.supervise(Behaviors.<Command>setup(context ->
            new Window(context, profileId, windowId, initialTitle, initialBounds, stateHub)))
        .onFailure(SupervisorStrategy.restart());
  }

  private Window(
      ActorContext<Command> context, String profileId, String windowId, String initialTitle,
      Bounds initialBounds, ActorRef<StateHub.Command> stateHub) {
    super(PersistenceId.ofUniqueId("Window|" + profileId + "|" + windowId),
        JournalFailures.RESTART_WITH_BACKOFF);
    this.context = context;
    this.profileId = profileId;
    this.windowId = windowId;
    this.initialTitle = initialTitle;
    this.initialBounds = initialBounds;
    this.stateHub = stateHub;
  }

  @Override
  public State emptyState() {
    return new State(initialTitle, initialBounds, WindowState.NORMAL, true, List.of(), null, false);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return CommandFailures.answerInternalOnFailure(newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), StatusReply.success(info(state))))
        .onCommand(Update.class, this::onUpdate)
        .onCommand(Close.class, this::onClose)
        .onCommand(AddTab.class, this::onAddTab)
        .onCommand(UpdateTab.class, this::onUpdateTab)
        .onCommand(RemoveTab.class, this::onRemoveTab)
        .onCommand(Navigate.class, (state, nav) -> toTab(nav.tabId(), nav.replyTo(), new Tab.Navigate(nav.url(), nav.replyTo())))
        .onCommand(GoBack.class, (state, back) -> toTab(back.tabId(), back.replyTo(), new Tab.GoBack(back.replyTo())))
        .onCommand(GoForward.class, (state, fwd) -> toTab(fwd.tabId(), fwd.replyTo(), new Tab.GoForward(fwd.replyTo())))
        .build(), context.getLog(), "Window " + windowId);
  }

  private Effect<Event, State> onUpdate(State state, Update update) {
    return Effect()
        .persist(new WindowUpdated(update.title(), update.bounds(), update.state(), update.focused()))
        .thenRun(this::publish)
        .thenReply(update.replyTo(), s -> StatusReply.success(info(s)));
  }

  private Effect<Event, State> onClose(State state, Close close) {
    List<String> tabIds = state.tabIds();
    return Effect()
        .persist(new Closed(tabIds))
        .thenRun(s -> {
          tabIds.forEach(tabId -> stateHub.tell(new StateHub.Remove("tabs/" + tabId)));
          stateHub.tell(new StateHub.Remove("windows/" + windowId));
          context.getLog().debug("Window [{}] of profile [{}] closed with tabs {}", windowId, profileId, tabIds);
        })
        .thenStop()
        .thenReply(close.replyTo(), s -> StatusReply.success(new WindowClosed(windowId, tabIds)));
  }

  private Effect<Event, State> onAddTab(State state, AddTab add) {
    List<Event> events = new ArrayList<>();
    events.add(new TabOpened(add.tabId(), add.url(), add.url()));
    String previousActive = state.activeTab();
    if (add.active()) {
      events.add(new ActiveTabChanged(add.tabId()));
    }
    return Effect().persist(events).thenRun(s -> {
      ActorRef<Tab.Command> tab = spawnTab(new TabSeed(add.tabId(), add.url(), add.url()), add.active());
      if (add.active() && previousActive != null) {
        tellTab(previousActive, new Tab.SetActive(false));
      }
      publish(s);
      tab.tell(new Tab.Get(add.replyTo()));
    });
  }

  private Effect<Event, State> onUpdateTab(State state, UpdateTab update) {
    if (!state.holds(update.tabId())) {
      return Effect().reply(update.replyTo(), noTab(update.tabId()));
    }
    String previousActive = state.activeTab();
    List<Event> events = new ArrayList<>();
    if (Boolean.TRUE.equals(update.active()) && !update.tabId().equals(previousActive)) {
      events.add(new ActiveTabChanged(update.tabId()));
    } else if (Boolean.FALSE.equals(update.active()) && update.tabId().equals(previousActive)) {
      events.add(new ActiveTabChanged(null));
    }
    return Effect().persist(events).thenRun(s -> {
      if (previousActive != null && !previousActive.equals(s.activeTab()) && !previousActive.equals(update.tabId())) {
        tellTab(previousActive, new Tab.SetActive(false));
      }
      tellTab(update.tabId(), new Tab.Update(update.title(), update.pinned(), update.muted(),
          update.tabId().equals(s.activeTab()), update.replyTo()));
    });
  }

  private Effect<Event, State> onRemoveTab(State state, RemoveTab remove) {
    if (!state.holds(remove.tabId())) {
      return Effect().reply(remove.replyTo(), noTab(remove.tabId()));
    }
    String newActive = state.activeTab();
    if (remove.tabId().equals(state.activeTab())) {
      List<String> ids = state.tabIds();
      int index = ids.indexOf(remove.tabId());
      // The right-hand neighbour takes over, or the left one when the last tab closes.
      newActive = index + 1 < ids.size() ? ids.get(index + 1) : index > 0 ? ids.get(index - 1) : null;
    }
    String activated = newActive;
    return Effect()
        .persist(new TabClosed(remove.tabId(), newActive))
        .thenRun(s -> {
          ActorRef<Tab.Command> tab = children.remove(remove.tabId());
          if (tab != null) {
            context.stop(tab);
          }
          stateHub.tell(new StateHub.Remove("tabs/" + remove.tabId()));
          if (activated != null && !activated.equals(state.activeTab())) {
            tellTab(activated, new Tab.SetActive(true));
          }
          publish(s);
        })
        .thenReply(remove.replyTo(), s -> StatusReply.success(new TabDeleted(remove.tabId(), windowId)));
  }

  private Effect<Event, State> toTab(String tabId, ActorRef<StatusReply<TabInfo>> replyTo, Tab.Command command) {
    ActorRef<Tab.Command> tab = children.get(tabId);
    if (tab == null) {
      return Effect().reply(replyTo, noTab(tabId));
    }
    tab.tell(command);
    return Effect().none();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(WindowUpdated.class, (s, e) -> new State(
            e.title() == null ? s.title() : e.title(),
            e.bounds() == null ? s.bounds() : e.bounds(),
            e.state() == null ? s.state() : e.state(),
            e.focused() == null ? s.focused() : e.focused(),
            s.tabs(), s.activeTab(), s.closed()))
        .onEvent(TabOpened.class, (s, e) -> {
          List<TabSeed> tabs = new ArrayList<>(s.tabs());
          tabs.add(new TabSeed(e.tabId(), e.url(), e.title()));
          return s.with(tabs, s.activeTab());
        })
        .onEvent(ActiveTabChanged.class, (s, e) -> s.with(s.tabs(), e.tabId()))
        .onEvent(TabClosed.class, (s, e) -> s.with(
            s.tabs().stream().filter(t -> !t.tabId().equals(e.tabId())).toList(), e.newActiveTab()))
        .onEvent(Closed.class, (s, e) ->
            new State(s.title(), s.bounds(), s.state(), s.focused(), List.of(), null, true))
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted)
        .onSignal(RecoveryFailed.class, (state, failed) ->
            JournalHealth.reportFailure(context, persistenceId().id(), failed.getFailure()))
        .build();
  }

  private void onRecoveryCompleted(State state) {
    if (state.closed()) {
      context.getLog().warn("Window [{}] of profile [{}] was closed; not restoring it", windowId, profileId);
      return;
    }
    for (TabSeed seed : state.tabs()) {
      boolean active = seed.tabId().equals(state.activeTab());
      // The window's record of the active tab wins over whatever the tab persisted last.
      spawnTab(seed, active).tell(new Tab.SetActive(active));
    }
    publish(state);
  }

  private ActorRef<Tab.Command> spawnTab(TabSeed seed, boolean active) {
    ActorRef<Tab.Command> tab = context.spawn(
        Tab.create(profileId, seed.tabId(), windowId, seed.url(), seed.title(), active, stateHub), seed.tabId());
    children.put(seed.tabId(), tab);
    return tab;
  }

  private void tellTab(String tabId, Tab.Command command) {
    ActorRef<Tab.Command> tab = children.get(tabId);
    if (tab != null) {
      tab.tell(command);
    }
  }

  private void publish(State state) {
    stateHub.tell(new StateHub.Put("windows/" + windowId, PayloadCodec.toTree(info(state))));
  }

  private WindowInfo info(State state) {
    return new WindowInfo(windowId, state.title(), state.bounds(), state.state(), state.focused(), state.tabIds());
  }

  private static <T> StatusReply<T> noTab(String tabId) {
    return StatusReply.error(new IpcException(ErrorCode.NOT_FOUND, "No tab '" + tabId + "'"));
  }
}
