import { InvalidParameterError } from "../../errors.ts";

// Random container names in the `adjective_noun` style users know from Docker,
// with berth's own harbour-themed word lists.
const adjectives = [
  "amber", "ample", "bold", "brave", "breezy", "bright", "brisk", "calm", "clever", "cosy",
  "crisp", "daring", "deft", "eager", "early", "even", "fair", "fleet", "fond", "gentle",
  "glad", "golden", "grand", "hardy", "hearty", "honest", "jolly", "keen", "kind", "lively",
  "loyal", "lucid", "merry", "mighty", "modest", "nimble", "noble", "patient", "plucky", "proud",
  "quick", "quiet", "rapid", "ready", "restful", "robust", "rosy", "salty", "serene", "sharp",
  "shiny", "silent", "sleek", "smooth", "snug", "solid", "spry", "steady", "stout", "sturdy",
  "sunny", "swift", "tidy", "trusty", "vivid", "warm", "wise", "witty", "zesty", "zealous",
];
const nouns = [
  "anchor", "bay", "beacon", "bollard", "bow", "breakwater", "buoy", "cabin", "canal", "capstan",
  "cargo", "channel", "compass", "cove", "crane", "current", "deck", "dinghy", "dock", "ferry",
  "fjord", "galley", "gangway", "harbor", "hatch", "haven", "helm", "hull", "inlet", "jetty",
  "keel", "kelp", "lagoon", "lantern", "lighthouse", "lock", "mast", "mooring", "oar", "pier",
  "pilot", "port", "quay", "reef", "rigging", "rudder", "sail", "schooner", "shoal", "skiff",
  "slipway", "sloop", "starboard", "stern", "strait", "tide", "tug", "wake", "wharf", "winch",
];

function pick<T>(list: T[]): T {
  return list[Math.floor(Math.random() * list.length)]!;
}

/** A fresh name not taken according to `taken`; adds a number after a few collisions. */
export function generateName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const base = `${pick(adjectives)}_${pick(nouns)}`;
    const name = attempt < 5 ? base : `${base}${Math.floor(Math.random() * 100)}`;
    if (!taken(name)) return name;
  }
}

/** Docker's rule for user-chosen names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, optional leading slash. */
export function validateName(name: string): string {
  const bare = name.startsWith("/") ? name.slice(1) : name;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(bare)) {
    throw new InvalidParameterError(
      `Invalid container name (${bare}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  return bare;
}
