// Ordered schema migrations. Append new ones with the next version number;
// never edit one that has shipped.
import type { Database } from "bun:sqlite";

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "images, layers, manifests, references",
    up(db) {
      db.exec(`
        CREATE TABLE images (
          id TEXT PRIMARY KEY,            -- sha256 digest of the config blob
          config_size INTEGER NOT NULL,
          created TEXT NOT NULL DEFAULT '', -- from the config, as written there
          os TEXT NOT NULL DEFAULT '',
          architecture TEXT NOT NULL DEFAULT '',
          variant TEXT NOT NULL DEFAULT '',
          size INTEGER NOT NULL,          -- sum of the layers' unpacked sizes
          parent TEXT NOT NULL DEFAULT '',-- local parent image (commit/build)
          added_at INTEGER NOT NULL       -- ms since epoch, for list order
        );
        CREATE TABLE layers (
          chain_id TEXT PRIMARY KEY,
          diff_id TEXT NOT NULL,
          parent_chain_id TEXT,
          size INTEGER NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('pending', 'ready'))
        );
        CREATE TABLE layer_blobs (       -- compressed (or plain) blobs whose content is diff_id
          diff_id TEXT NOT NULL,
          digest TEXT NOT NULL,
          media_type TEXT NOT NULL,
          size INTEGER NOT NULL,
          PRIMARY KEY (diff_id, digest)
        );
        CREATE INDEX layer_blobs_digest ON layer_blobs (digest);
        CREATE TABLE image_layers (
          image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
          idx INTEGER NOT NULL,
          chain_id TEXT NOT NULL REFERENCES layers (chain_id),
          PRIMARY KEY (image_id, idx)
        );
        CREATE INDEX image_layers_chain ON image_layers (chain_id);
        CREATE TABLE manifests (
          digest TEXT PRIMARY KEY,
          media_type TEXT NOT NULL,
          size INTEGER NOT NULL,
          image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
          os TEXT NOT NULL DEFAULT '',
          architecture TEXT NOT NULL DEFAULT '',
          variant TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX manifests_image ON manifests (image_id);
        CREATE TABLE refs (
          name TEXT PRIMARY KEY,          -- full normalised: docker.io/library/busybox:latest or repo@sha256:…
          kind TEXT NOT NULL CHECK (kind IN ('tag', 'digest')),
          image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX refs_image ON refs (image_id);
        CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE blob_leases (       -- blobs kept although no image row names them
          digest TEXT NOT NULL,
          holder TEXT NOT NULL,
          PRIMARY KEY (digest, holder)
        );
      `);
    },
  },
  {
    version: 2,
    name: "containers",
    up(db) {
      db.exec(`
        CREATE TABLE containers (
          id TEXT PRIMARY KEY,            -- 64 hex, like Docker
          name TEXT NOT NULL UNIQUE,      -- without the leading slash
          image_id TEXT NOT NULL,         -- kept even if the image is force-removed, as Docker does
          image TEXT NOT NULL,            -- the name the user asked for
          created TEXT NOT NULL,          -- RFC 3339 with nanoseconds
          config TEXT NOT NULL,           -- Engine API ContainerConfig, JSON
          host_config TEXT NOT NULL,      -- Engine API HostConfig, JSON
          state TEXT NOT NULL,            -- last known state, JSON (the shim's state.json is the truth while it runs)
          restart_count INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX containers_image ON containers (image_id);
      `);
    },
  },
  {
    version: 3,
    name: "events",
    up(db) {
      db.exec(`
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          time_nano INTEGER NOT NULL,
          event TEXT NOT NULL             -- the Engine API message as JSON
        );
        CREATE INDEX events_time ON events (time_nano);
      `);
    },
  },
  {
    version: 4,
    name: "exec sessions",
    up(db) {
      db.exec(`
        CREATE TABLE exec_sessions (
          id TEXT PRIMARY KEY,
          container_id TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
          body TEXT NOT NULL,             -- the exec create request, as JSON
          running INTEGER NOT NULL DEFAULT 0,
          exit_code INTEGER,              -- NULL until it has run
          pid INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX exec_sessions_container ON exec_sessions (container_id);
      `);
    },
  },
  {
    version: 5,
    name: "volumes and container mounts",
    up(db) {
      db.exec(`
        CREATE TABLE volumes (
          name TEXT PRIMARY KEY,
          driver TEXT NOT NULL,
          created TEXT NOT NULL,          -- RFC 3339, as inspect shows it
          labels TEXT NOT NULL,           -- JSON object
          options TEXT NOT NULL           -- the driver's options, JSON object
        );
        CREATE TABLE container_mounts (   -- a container's resolved mount points, in mount order
          container_id TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
          destination TEXT NOT NULL,
          volume TEXT REFERENCES volumes (name), -- a volume in use cannot be deleted
          body TEXT NOT NULL,             -- the mount point, JSON
          PRIMARY KEY (container_id, destination)
        );
        CREATE INDEX container_mounts_volume ON container_mounts (volume);
      `);
    },
  },
  {
    version: 6,
    name: "networks",
    up(db) {
      db.exec(`
        CREATE TABLE networks (
          id TEXT PRIMARY KEY,            -- 64 hex, like Docker
          name TEXT NOT NULL UNIQUE,
          body TEXT NOT NULL              -- Engine API NetworkResource without Containers, JSON
        );
        CREATE TABLE network_attachments (
          container_id TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
          network_id TEXT NOT NULL REFERENCES networks (id),
          seq INTEGER NOT NULL,           -- connection order: the container's eth0, eth1…
          config TEXT NOT NULL,           -- EndpointSettings as asked (Aliases, IPAMConfig, MacAddress), JSON
          endpoint_id TEXT,               -- the rest is set while the container runs
          ipv4 TEXT,
          ipv6 TEXT,
          mac TEXT,
          host_veth TEXT,
          PRIMARY KEY (container_id, network_id)
        );
        CREATE INDEX network_attachments_network ON network_attachments (network_id);
        -- An address is never handed out twice on one network.
        CREATE UNIQUE INDEX network_attachments_ipv4 ON network_attachments (network_id, ipv4);
        CREATE UNIQUE INDEX network_attachments_ipv6 ON network_attachments (network_id, ipv6);
      `);
    },
  },
  {
    version: 7,
    name: "build cache",
    up(db) {
      db.exec(`
        CREATE TABLE build_cache (
          key TEXT PRIMARY KEY,           -- sha256 of parent image + step after substitution + visible args + copied content
          image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
          created_at INTEGER NOT NULL,    -- ms since epoch
          last_used INTEGER NOT NULL
        );
        CREATE INDEX build_cache_image ON build_cache (image_id);
      `);
    },
  },
  {
    version: 8,
    name: "published ports",
    up(db) {
      db.exec(`
        CREATE TABLE published_ports (    -- a running container's host ports, so a restarted daemon listens again
          container_id TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
          port TEXT NOT NULL,             -- the container's: 80/tcp
          host_ip TEXT NOT NULL,
          host_port INTEGER NOT NULL,
          PRIMARY KEY (container_id, port, host_ip, host_port)
        );
      `);
    },
  },
  {
    version: 9,
    name: "containers stopped by hand",
    up(db) {
      // dockerd's HasBeenManuallyStopped: a daemon's start leaves such an unless-stopped container stopped.
      db.exec("ALTER TABLE containers ADD COLUMN manually_stopped INTEGER NOT NULL DEFAULT 0");
    },
  },
];
