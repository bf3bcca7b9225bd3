// The live event stream (GET /api/events). EventSource cannot send headers, so the token goes
// in ?access_token= (posd accepts it on this one endpoint). The browser resumes with
// Last-Event-ID by itself; a `resync` event means "refetch everything".

const KINDS = ['order', 'items', 'payment', 'table', 'floor', 'menu', 'staff', 'printer', 'license', 'resync'];

/** Connect; onEvent(kind, data), onState(connected: boolean). Returns {close}. */
export function connect(token, onEvent, onState) {
  let es = null;
  let stopped = false;
  let retry = null;
  const open = () => {
    es = new EventSource(`/api/events?access_token=${encodeURIComponent(token)}`);
    for (const k of KINDS) {
      es.addEventListener(k, (e) => {
        let data = {};
        try { data = JSON.parse(e.data); } catch { /* keep {} */ }
        onEvent(k, data);
      });
    }
    es.onopen = () => onState(true);
    es.onerror = () => {
      onState(false);
      // CLOSED means the browser gave up (e.g. posd answered 401 or was down at connect time).
      if (es.readyState === EventSource.CLOSED && !stopped) {
        es.close();
        clearTimeout(retry);
        retry = setTimeout(open, 3000);
      }
    };
  };
  open();
  return {
    close() { stopped = true; clearTimeout(retry); es?.close(); },
  };
}
