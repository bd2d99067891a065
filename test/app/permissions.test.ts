/** Every permission request, check and device request is refused (DESIGN §8). */
import { expect, it } from 'vitest';
import { refuseAllPermissions } from '../../src-main/app/permissions.js';
import { FakeSession } from './fake-electron.js';

// Electron's permission names (electron.d.ts, Session.setPermissionRequestHandler).
const PERMISSIONS = ['clipboard-read', 'clipboard-sanitized-write', 'display-capture', 'fullscreen', 'geolocation', 'idle-detection', 'media', 'mediaKeySystem', 'midi', 'midiSysex', 'notifications', 'pointerLock', 'keyboardLock', 'openExternal', 'speaker-selection', 'storage-access', 'top-level-storage-access', 'window-management', 'unknown', 'fileSystem', 'hid', 'serial', 'usb'];

it('refuses every permission asked for or checked, and every device', () => {
  const session = new FakeSession();
  refuseAllPermissions(session);
  for (const permission of PERMISSIONS) {
    const answers: boolean[] = [];
    session.permissionRequest!({}, permission, (granted) => answers.push(granted), { requestingUrl: 'file:///x/index.html' });
    expect(answers, permission).toEqual([false]);
    expect(session.permissionCheck!({}, permission, 'file://', {}), permission).toBe(false);
  }
  expect(session.devicePermission!({ deviceType: 'usb', origin: 'file://' })).toBe(false);
});
