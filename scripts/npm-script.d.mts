/** How a package.json script launches node: the variables it sets before, the flags it gives, the script. */
export interface NodeLaunch {
  env: Record<string, string>;
  flags: string[];
  script: string;
}

export function npmScriptLaunch(name: string): NodeLaunch;
