// Where to look for a phone number when the area code a business asked for has none for sale:
// nearby area codes of the same region, in a defined order.
//
// Each region lists its area codes in groups, roughly in geographic order. A group holds codes that
// serve the same place (an original code and its overlays), so a number from the same group is as
// local as one from the requested code. The fallback order for a code is: the other codes of its
// own group, then the groups nearest to it in the list (ties: the earlier group first). Codes of no
// region have no fallback. The list covers the metros the product sells in first; add a region by
// adding its groups.

type Region = { name: string; groups: string[][] };

const REGIONS: Region[] = [
  // California
  { name: "San Francisco Bay Area", groups: [["415", "628"], ["650"], ["510", "341"], ["925"], ["408", "669"], ["707"], ["831"]] },
  { name: "Los Angeles", groups: [["213", "323"], ["310", "424"], ["818", "747"], ["626"], ["562"], ["714", "657"], ["949"], ["909", "840"], ["661"]] },
  { name: "San Diego", groups: [["619", "858"], ["760", "442"]] },
  // Pacific Northwest and Mountain West
  { name: "Seattle", groups: [["206"], ["425"], ["253"], ["360", "564"], ["509"]] },
  { name: "Oregon", groups: [["503", "971"], ["541", "458"]] },
  { name: "Denver", groups: [["303", "720", "983"], ["719"], ["970"]] },
  { name: "Utah", groups: [["801", "385"], ["435"]] },
  { name: "Arizona", groups: [["602", "480", "623"], ["520"], ["928"]] },
  { name: "Nevada", groups: [["702", "725"], ["775"]] },
  { name: "New Mexico", groups: [["505"], ["575"]] },
  // Texas
  { name: "Austin", groups: [["512", "737"], ["254"], ["830"], ["210", "726"]] },
  { name: "Houston", groups: [["713", "281", "832", "346"], ["409"], ["936"], ["979"]] },
  { name: "Dallas-Fort Worth", groups: [["214", "469", "972", "945"], ["817", "682"], ["940"], ["903", "430"]] },
  // Midwest
  { name: "Chicago", groups: [["312", "872"], ["773"], ["708", "464"], ["847", "224"], ["630", "331"], ["815", "779"]] },
  { name: "Minnesota", groups: [["612"], ["651"], ["763"], ["952"], ["507"], ["320"], ["218"]] },
  { name: "Detroit", groups: [["313", "679"], ["248", "947"], ["586"], ["734"]] },
  // East
  { name: "New York City", groups: [["212", "646", "332", "917"], ["718", "347", "929"], ["516"], ["914"], ["631", "934"]] },
  { name: "New Jersey", groups: [["201", "551"], ["973", "862"], ["908"], ["732", "848"], ["609", "640"], ["856"]] },
  { name: "Philadelphia", groups: [["215", "267", "445"], ["610", "484", "835"], ["717", "223"]] },
  { name: "Washington DC", groups: [["202", "771"], ["301", "240", "227"], ["703", "571"], ["410", "443", "667"]] },
  { name: "Boston", groups: [["617", "857"], ["781", "339"], ["978", "351"], ["508", "774"], ["413"]] },
  { name: "Atlanta", groups: [["404", "470", "678", "943"], ["770"], ["706", "762"], ["478"], ["912"], ["229"]] },
  { name: "Miami", groups: [["305", "786", "645"], ["954", "754"], ["561"], ["772"]] },
];

/** At most this many area codes are tried for one deployment, the requested one included. */
export const MAX_AREA_CODES_TRIED = 8;

const AREA_CODE = /^[2-9]\d{2}$/;

export function isAreaCode(value: string): boolean {
  return AREA_CODE.test(value);
}

/** Nearby area codes for `areaCode`, nearest first, without the code itself; [] when none are known. */
export function nearbyAreaCodes(areaCode: string): string[] {
  for (const { groups } of REGIONS) {
    const home = groups.findIndex((group) => group.includes(areaCode));
    if (home === -1) continue;
    const byDistance = groups
      .map((group, index) => ({ group, distance: Math.abs(index - home), index }))
      .sort((a, b) => a.distance - b.distance || a.index - b.index);
    return byDistance.flatMap(({ group }) => group).filter((code) => code !== areaCode);
  }
  return [];
}

/** The area codes to try, in order: the requested one, then its neighbours, capped at MAX_AREA_CODES_TRIED. */
export function areaCodesToTry(areaCode: string): string[] {
  return [areaCode, ...nearbyAreaCodes(areaCode)].slice(0, MAX_AREA_CODES_TRIED);
}

/** Every area code with a fallback order (for tests and admin screens). */
export function areaCodesWithFallback(): string[] {
  return REGIONS.flatMap(({ groups }) => groups.flat());
}
