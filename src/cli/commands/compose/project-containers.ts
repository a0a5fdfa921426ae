// The containers of a project, found by compose's labels (so that projects
// made by docker compose and berth compose are the same to both).
import type { Client } from "../../../client/client.ts";
import { label } from "./names.ts";

export interface ProjectContainer {
  Id: string;
  Names: string[];
  Image: string;
  ImageID?: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  Labels: Record<string, string>;
}

export function nameOf(c: ProjectContainer): string {
  return c.Names[0]!.replace(/^\//, "");
}

/** The name compose prints a container's output behind (logs, attached up): "web-1", or its own container_name. */
export function logNameOf(c: ProjectContainer): string {
  const project = c.Labels[label.project] ?? "";
  const name = nameOf(c);
  return name === `${project}-${serviceOf(c)}-${numberOf(c)}` ? name.slice(project.length + 1) : name;
}

export function serviceOf(c: ProjectContainer): string {
  return c.Labels[label.service] ?? "";
}

export function numberOf(c: ProjectContainer): number {
  return Number(c.Labels[label.number] ?? 0);
}

export function isOneoff(c: ProjectContainer): boolean {
  return c.Labels[label.oneoff] === "True";
}

/** The project's containers (running ones unless `all`), oldest number first. */
export async function projectContainers(client: Client, project: string, opts: { all?: boolean; oneoff?: boolean; services?: string[] } = {}): Promise<ProjectContainer[]> {
  const filters: Record<string, string[]> = { label: [`${label.project}=${project}`] };
  const list = await client.json<ProjectContainer[]>("GET", "/containers/json", { query: { all: opts.all ?? true, filters: JSON.stringify(filters) } });
  return list
    .filter((c) => opts.oneoff || !isOneoff(c))
    .filter((c) => !opts.services?.length || opts.services.includes(serviceOf(c)))
    .sort((a, b) => serviceOf(a).localeCompare(serviceOf(b)) || numberOf(a) - numberOf(b));
}

/** A line of compose's progress, as its plain output prints it: " Container proj-web-1  Started". */
export function progress(out: (s: string) => void, kind: string, name: string, status: string): void {
  out(` ${kind} ${name}  ${status}`);
}
