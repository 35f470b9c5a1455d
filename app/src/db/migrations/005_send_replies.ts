/**
 * The SMTP server's reply is recorded apart from the commit that marks a row sent (that commit
 * precedes the final dot; see crm/email/ledger.ts). `replied_at` null on a `sent` SMTP row
 * whose sender died: handed over, the server's answer never read ("unconfirmed").
 */
export const up = `
alter table crm_send_ledger add column replied_at timestamptz;
update crm_send_ledger set replied_at = finished_at where state = 'sent';
`;
