/**
 * Where the Redis of a distributed run is: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], or
 * rediss:// for TLS (ports default to 6379). The password never appears in what is printed.
 */
import { UserError } from "../core/errors.ts";

export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
  /** The URL with its password replaced by ***, for messages. */
  shown: string;
}

export const DEFAULT_REDIS_PORT = 6379;
const EXAMPLE = "redis://HOST:PORT or redis://:PASSWORD@HOST:PORT";

/** The target a --redis value names, or a UserError saying what is wrong with it. */
export function parseRedisUrl(text: string, flag = "--redis"): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not the text: it may hold a password.
    throw new UserError(`${flag}: not a URL; expected ${EXAMPLE}`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new UserError(
      `${flag} must be a redis:// or rediss:// URL (${EXAMPLE}), got ${url.protocol}//...`,
    );
  }
  const password = url.password === "" ? undefined : decodeURIComponent(url.password);
  const username = url.username === "" ? undefined : decodeURIComponent(url.username);
  const shown = `${url.protocol}//${
    password === undefined && username === undefined ? "" : `${username ?? ""}:***@`
  }${url.host}${url.pathname === "/" ? "" : url.pathname}`;
  if (url.hostname === "") throw new UserError(`${flag} ${shown} names no host`);
  const port = url.port === "" ? DEFAULT_REDIS_PORT : Number(url.port);
  const path = url.pathname.replace(/^\//, "");
  const db = path === "" ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0 || !/^\d*$/.test(path)) {
    throw new UserError(`${flag} ${shown}: the path must be a database number`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new UserError(`${flag} ${shown}: no query or fragment is understood`);
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    username,
    password,
    db,
    tls: url.protocol === "rediss:",
    shown,
  };
}
