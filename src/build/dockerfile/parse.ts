// A Dockerfile → its directives, the ARGs before the first FROM, and its
// stages, each a FROM and the instructions that follow it.
import { InvalidParameterError } from "../../errors.ts";
import { DockerfileError } from "./errors.ts";
import { parseInstruction, type ArgInstruction, type FromInstruction, type Instruction } from "./instructions.ts";
import { logicalLines, type Directives } from "./lines.ts";

export interface Stage {
  index: number;
  /** The `AS name` (lower-cased), if any. */
  name?: string;
  from: FromInstruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  file: string;
  directives: Directives;
  /** ARGs before the first FROM: visible to FROM lines, and to a stage that declares them again. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
}

export function parseDockerfile(text: string, file = "Dockerfile"): Dockerfile {
  const { directives, lines } = logicalLines(text, file);
  if (!lines.length) throw new DockerfileError("file with no instructions", 1, file);
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const l of lines) {
    const ins = parseInstruction(l, directives.escape, file);
    if (ins.kind === "FROM") {
      if (ins.stageName && stages.some((s) => s.name === ins.stageName)) {
        throw new DockerfileError(`duplicate name ${ins.stageName}`, ins.line, file);
      }
      stages.push({ index: stages.length, ...(ins.stageName ? { name: ins.stageName } : {}), from: ins, instructions: [] });
    } else if (!stages.length) {
      if (ins.kind !== "ARG") throw new DockerfileError("no build stage in current context", ins.line, file);
      metaArgs.push(ins);
    } else stages.at(-1)!.instructions.push(ins);
  }
  if (!stages.length) throw new DockerfileError("no build stage in current context", lines.at(-1)!.line, file);
  return { file, directives, metaArgs, stages };
}

/** The stage `--target` names (the last when none), or a clear error. */
export function targetStage(df: Dockerfile, target?: string): Stage {
  if (!target) return df.stages.at(-1)!;
  const s = df.stages.find((st) => st.name === target.toLowerCase());
  if (!s) throw new InvalidParameterError(`failed to reach build target ${target} in Dockerfile`);
  return s;
}
