// Kept for existing importers: the cgroup code lives in ./cgroups/.
export { cgroupVersion, openCgroup, sharesToWeight, type Cgroup, type CgroupStats, type Resources } from "./cgroups/index.ts";
