// The mails panel: the ad manager's pause and resume mails, a new one announced.

import { $, announce, clock, h, renderList } from './dom.js';

let knownMails;

export function renderMails(snapshot) {
  const list = $('#mails');
  const key = snapshot.mails.map((m) => `${m.kind}${m.sentAt}`).join('|');
  renderList(
    list,
    key,
    snapshot.mails.map((mail) =>
      h(
        'li',
        { dataset: { kind: mail.kind, sku: mail.sku } },
        h('span', {
          class: 'mail-kind',
          dataset: { kind: mail.kind },
          text: mail.kind === 'pause_ads' ? 'pause' : 'resume',
        }),
        h('span', { class: 'subject', text: mail.subject }),
        h('time', { datetime: mail.sentAt, text: clock(mail.sentAt) }),
      ),
    ),
  );
  $('#no-mails').hidden = snapshot.mails.length > 0;
  const keys = new Set(snapshot.mails.map((m) => `${m.kind}${m.sentAt}${m.sku}`));
  if (knownMails) {
    const fresh = snapshot.mails.find((m) => !knownMails.has(`${m.kind}${m.sentAt}${m.sku}`));
    if (fresh) announce(`Mail to the ad manager: ${fresh.subject}`);
  }
  knownMails = keys;
}
