// IndexedDB on this device: the outbox of writes (outbox.js) and the last data each user saw
// (api.js). One connection, opened once. Version 2 keys the outbox by an auto-increment id (the
// order writes were made) and records who made each write; version 1's writes carried no user,
// so they are kept as "unowned": shown, never sent as whoever logs in next.
const NAME = "spiral-outbox";
const VERSION = 2;
let opening = null;

function upgrade(db, tx, oldVersion) {
  if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
  if (!db.objectStoreNames.contains("views")) db.createObjectStore("views", { keyPath: ["user", "path"] });
  if (oldVersion === 1 && db.objectStoreNames.contains("writes")) {
    const outbox = tx.objectStore("outbox");
    tx.objectStore("writes").getAll().onsuccess = (event) => {
      for (const write of event.target.result.sort((a, b) => a.created - b.created)) {
        outbox.add({ ...write, user: null, state: "unowned", attempts: 0 });
      }
      db.deleteObjectStore("writes");
    };
  }
}

function open() {
  opening ||= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = (event) => upgrade(request.result, request.transaction, event.oldVersion);
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => { db.close(); opening = null; };  // a newer version in another tab
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
  });
  return opening;
}

// Runs fn(store) in one transaction; resolves with the result of the request fn returns.
export async function run(name, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const request = fn(tx.objectStore(name));
    tx.oncomplete = () => resolve(request?.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const getAll = (name) => run(name, "readonly", (s) => s.getAll());
