// `system df -v`: each image, container and volume with the space it takes,
// in the docker CLI's sections.
import { printDefaultTable } from "../output.ts";
import { humanSize, humanSizeWithPrecision, timeAgo } from "../../shared/units.ts";
import { ellipsis, shortId } from "../format/ids.ts";

function repoTag(ref: string | undefined): [string, string] {
  if (!ref) return ["<none>", "<none>"];
  const i = ref.lastIndexOf(":");
  return i > ref.lastIndexOf("/") ? [ref.slice(0, i), ref.slice(i + 1)] : [ref, "<none>"];
}

export function diskUsageVerbose(df: Record<string, any>): string {
  const images = (df.Images ?? []).map((i: any) => {
    const [repo, tag] = repoTag(i.RepoTags?.[0]);
    return {
      Repository: repo, Tag: tag, ID: shortId(i.Id), CreatedSince: timeAgo(i.Created * 1000),
      Size: humanSizeWithPrecision(i.Size, 3), SharedSize: humanSizeWithPrecision(i.SharedSize ?? 0, 3),
      UniqueSize: humanSizeWithPrecision(i.Size - (i.SharedSize ?? 0), 3), Containers: String(i.Containers ?? 0),
    };
  });
  const containers = (df.Containers ?? []).map((c: any) => ({
    ID: shortId(c.Id), Image: c.Image, Command: `"${ellipsis(c.Command ?? "", 20)}"`,
    LocalVolumes: String((c.Mounts ?? []).filter((m: any) => m.Type === "volume").length),
    Size: humanSize(c.SizeRw ?? 0), RunningFor: timeAgo(c.Created * 1000), Status: c.Status, Names: (c.Names ?? []).map((n: string) => n.replace(/^\//, "")).join(","),
  }));
  const volumes = (df.Volumes ?? []).map((v: any) => ({ Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0), Size: humanSize(v.UsageData?.Size ?? 0) }));
  const cache: any[] = df.BuildCache ?? [];
  const cacheRows = cache.map((b) => ({
    ID: b.ID, CacheType: b.Type, Size: humanSizeWithPrecision(b.Size ?? 0, 3), CreatedSince: b.CreatedAt ? timeAgo(Date.parse(b.CreatedAt)) : "",
    LastUsedSince: b.LastUsedAt ? timeAgo(Date.parse(b.LastUsedAt)) : "", UsageCount: String(b.UsageCount ?? 0), Shared: String(!!b.Shared),
  }));
  const cacheSize = cache.reduce((n, b) => n + (b.Size ?? 0), 0);
  return [
    "Images space usage:\n\n",
    printDefaultTable(["Repository", "Tag", "ID", "CreatedSince", "Size", "SharedSize", "UniqueSize", "Containers"], images, {
      Repository: "REPOSITORY", Tag: "TAG", ID: "IMAGE ID", CreatedSince: "CREATED", Size: "SIZE", SharedSize: "SHARED SIZE", UniqueSize: "UNIQUE SIZE", Containers: "CONTAINERS",
    }),
    "\nContainers space usage:\n\n",
    printDefaultTable(["ID", "Image", "Command", "LocalVolumes", "Size", "RunningFor", "Status", "Names"], containers, {
      ID: "CONTAINER ID", Image: "IMAGE", Command: "COMMAND", LocalVolumes: "LOCAL VOLUMES", Size: "SIZE", RunningFor: "CREATED", Status: "STATUS", Names: "NAMES",
    }),
    "\nLocal Volumes space usage:\n\n",
    printDefaultTable(["Name", "Links", "Size"], volumes, { Name: "VOLUME NAME", Links: "LINKS", Size: "SIZE" }),
    `\nBuild cache usage: ${humanSize(cacheSize)}\n\n`,
    printDefaultTable(["ID", "CacheType", "Size", "CreatedSince", "LastUsedSince", "UsageCount", "Shared"], cacheRows, {
      ID: "CACHE ID", CacheType: "CACHE TYPE", Size: "SIZE", CreatedSince: "CREATED", LastUsedSince: "LAST USED", UsageCount: "USAGE", Shared: "SHARED",
    }),
  ].join("");
}
