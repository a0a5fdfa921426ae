// The test project, shared by the berth compose test and the
// docker-compose 1.29 test so that both drive the same files: web built from
// a Dockerfile and published, a db writing to a named volume behind a
// healthcheck, a worker that waits for it and reaches it by name, a one-off
// migration the web waits for, two networks, a secret, a .env with
// interpolation, and a service behind a profile.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// The worker finds the db by name through the daemon's DNS, then reads what the db wrote to its volume.
const workerScript = [
  "for i in $$(busybox seq 1 100); do",
  "ip=$$(busybox nslookup db 2>/dev/null | busybox sed -n 's/^Address: //p' | busybox tail -n 1);",
  `if [ -n "$$ip" ] && printf 'GET /data/state HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 $$ip 80 | grep -q stored; then echo "worker reached db at $$ip"; exec sleep 1000; fi;`,
  "sleep 0.2; done; echo worker gave up; exit 1",
].join(" ");

/** The project's files; the web is published on `port`. */
export function appFiles(port: number): Record<string, string> {
  return {
    ".env": `GREETING=hello\nWEB_PORT=${port}\n`,
    "web/Dockerfile": 'FROM busybox\nRUN mkdir -p /www && echo built-from-dockerfile > /www/index.html\nCMD ["busybox", "httpd", "-f", "-p", "80", "-h", "/"]\n',
    "token.txt": "s3cret-token\n",
    "compose.yaml": `
services:
  web:
    build: ./web
    ports: ["\${WEB_PORT}:80"]
    environment:
      - GREETING=\${GREETING}
    networks: [front]
    secrets: [token]
    depends_on:
      migrate: {condition: service_completed_successfully}
  db:
    image: busybox
    command: ["sh", "-c", "echo stored > /data/state; exec busybox httpd -f -p 80 -h /"]
    volumes: [dbdata:/data]
    networks: [back]
    healthcheck:
      test: ["CMD", "busybox", "test", "-f", "/data/state"]
      interval: 1s
      retries: 30
  worker:
    image: busybox
    command: ["sh", "-c", "${workerScript.replace(/"/g, '\\"')}"]
    networks: [back]
    depends_on:
      db: {condition: service_healthy}
  migrate:
    image: busybox
    command: echo migrated
    networks: [back]
  debug:
    image: busybox
    command: sleep 1000
    profiles: [debug]
networks:
  front:
  back:
volumes:
  dbdata:
secrets:
  token:
    file: ./token.txt
`,
  };
}

/** Writes `files` under `dir` (made as needed); returns `dir`. */
export function writeProject(dir: string, files: Record<string, string>): string {
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

/** Files named `names` in the directories below `dir` whose name holds `id`. */
export function findFiles(dir: string, id: string, names: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const sub = join(d, e.name);
      if (e.name.includes(id.slice(0, 12))) out.push(...names.map((n) => join(sub, n)).filter(existsSync));
      else if (depth < 3) walk(sub, depth + 1);
    }
  };
  walk(dir, 0);
  return out;
}
