// docker compose v2's names: containers <project>-<service>-<n>, the image a
// built service gets (<project>-<service>), and the labels that tie
// containers, networks and volumes to their project.
import type { Project, Service } from "../../../compose/types.ts";

export const label = {
  project: "com.docker.compose.project",
  service: "com.docker.compose.service",
  number: "com.docker.compose.container-number",
  oneoff: "com.docker.compose.oneoff",
  hash: "com.docker.compose.config-hash",
  workingDir: "com.docker.compose.project.working_dir",
  configFiles: "com.docker.compose.project.config_files",
  environmentFile: "com.docker.compose.project.environment_file",
  dependsOn: "com.docker.compose.depends_on",
  image: "com.docker.compose.image",
  version: "com.docker.compose.version",
  network: "com.docker.compose.network",
  volume: "com.docker.compose.volume",
} as const;

/** The compose version written in com.docker.compose.version: the docker compose release whose behaviour this follows. */
export const composeVersion = "2.40.3";

export function containerName(project: string, service: string, n: number, s?: Service): string {
  if (s?.container_name) return String(s.container_name);
  return `${project}-${service}-${n}`;
}

/** The name compose prints a container's output behind: without the project's prefix, unless container_name named it. */
export function logName(service: string, n: number, s?: Service): string {
  return s?.container_name ? String(s.container_name) : `${service}-${n}`;
}

export function imageName(p: Project, service: string, s: Service): string {
  return s.image ?? `${p.name}-${service}`;
}

/** How many containers a service runs: --scale, deploy.replicas, scale, or one. */
export function replicas(s: Service, scale?: Record<string, number>, name?: string): number {
  return (name !== undefined ? scale?.[name] : undefined) ?? s.deploy?.replicas ?? s.scale ?? 1;
}
