/**
 * Refuses every permission a page can ask for (camera, microphone, notifications, geolocation,
 * clipboard reads, HID/serial/USB devices, ...). The app needs none of them: files come in
 * through the contract, not through browser APIs, so there is no allowlist to keep.
 */

/** The part of Electron's Session this file uses. */
export interface PermissionSession {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string) => boolean): void;
  setDevicePermissionHandler(handler: (details: unknown) => boolean): void;
}

export function refuseAllPermissions(session: PermissionSession): void {
  // Asked for at runtime (getUserMedia, Notification.requestPermission, ...): answer no.
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  // Checked synchronously (navigator.permissions.query, ...): report not granted.
  session.setPermissionCheckHandler(() => false);
  // WebHID / WebSerial / WebUSB device access.
  session.setDevicePermissionHandler(() => false);
}
