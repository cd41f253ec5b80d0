package org.browseros.ipc.protocol;

/** Who may send on a channel and whether a reply is expected. */
public enum Direction {
  /** Request/response, either way: {@code invoke} and {@code handle}. */
  INVOKE,
  /** One-way, renderer to main: {@code ipcRenderer.send} and {@code ipcMain.on}. */
  RENDERER_TO_MAIN,
  /** One-way, main to one renderer: {@code ipcMain.sendTo} and {@code ipcRenderer.on}. */
  MAIN_TO_RENDERER,
  /** One-way, main to every connected renderer: {@code ipcMain.broadcast}. */
  BROADCAST
}
