import type { Queryable } from "@mainspring/engine";
import { decodePacket } from "./body.js";
import { HttpError } from "./errors.js";

/**
 * Payloads the official client offloads: over 128 KB it asks for an upload URL
 * (`PUT /api/v2/packets/:name`), PUTs the data there, and triggers with
 * `payloadType: "application/store"` and the packet's name as the payload.
 */
export class Packets {
  constructor(private readonly db: Queryable) {}

  async put(name: string, data: string, dataType: string): Promise<void> {
    await this.db.query(
      `insert into ms_packets (name, data, data_type) values ($1, $2, $3)
       on conflict (name) do update set data = excluded.data, data_type = excluded.data_type`,
      [name, data, dataType],
    );
  }

  /** The packet's content, decoded by the type it was uploaded with. */
  async resolve(name: string): Promise<unknown> {
    const { rows } = await this.db.query<{ data: string; data_type: string }>(
      "select data, data_type from ms_packets where name = $1",
      [name],
    );
    if (!rows[0])
      throw new HttpError(400, "INVALID_REQUEST", `Offloaded payload "${name}" was never uploaded`);
    return decodePacket(rows[0].data, rows[0].data_type);
  }
}
