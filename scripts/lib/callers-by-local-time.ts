// Texts a business starts keep the quiet hours of the recipient's zone (from their area code), so
// a demo or test that expects a text-back needs a caller for whom it is daytime now, whenever it
// runs: at any hour some NANP zone, from Guam (UTC+10) to American Samoa (UTC-11), is mid-day.
import type { Sql } from "postgres";

/** An area code whose whole zone is now between 9 am and 7 pm: an hour inside the 8 am to 9 pm window. */
export async function areaCodeInDaytime(sql: Sql): Promise<string> {
  const [zone] = await sql`
    select area_code
    from private.sms_area_code_zones
    where kind = 'single_zone' and extract(hour from now() at time zone time_zone) between 9 and 18
    order by random()
    limit 1`;
  if (!zone) throw new Error("no NANP zone is in its daytime now");
  return zone.area_code;
}
