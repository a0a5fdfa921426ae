// Kept for existing importers: the cgroup code lives in ./cgroups/.
export { cgroupVersion, containerCgroup, containerCgroupPath, openCgroup, sharesToWeight, type Cgroup, type CgroupStats, type Resources } from "./cgroups/index.ts";
