/**
 * How a long run stops on SIGINT (Ctrl-C) or SIGTERM: the first signal asks it to stop and save
 * what it has; later ones never abort that save. They often are not the user's at all: a signal
 * sent to a process group (a job runner, `kill -INT -- -PGID`) reaches the program both directly
 * and through `deno task`, which passes it on. `kill -9` is the way to abandon a save.
 */

/** Exit statuses after a signal, as a shell reports a process it killed (128 + its number). */
export const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_STATUS;

/** The signals a run stops on (Windows delivers only SIGINT to listeners). */
const SIGNALS: StopSignal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];

export class StopSignals {
  /** The first signal received, if any. */
  received: StopSignal | undefined;
  #listeners: [StopSignal, () => void][];

  /** Listens for the stop signals: the first calls `onStop` (which should say what happens
   * next); the others only say that the run is already stopping. */
  constructor(onStop: (signal: StopSignal) => void) {
    let repeated = false;
    this.#listeners = SIGNALS.map((name) => {
      const listener = () => {
        if (this.received === undefined) {
          this.received = name;
          onStop(name);
        } else if (!repeated) {
          repeated = true;
          console.error(`${name}: already stopping; another signal does not interrupt it`);
        }
      };
      Deno.addSignalListener(name, listener);
      return [name, listener];
    });
  }

  /** The exit status for the signal received (0 if none). */
  get exitStatus(): number {
    return this.received === undefined ? 0 : SIGNAL_STATUS[this.received];
  }

  /** Stops listening (signals then act as the runtime's default again). */
  dispose(): void {
    for (const [name, listener] of this.#listeners) Deno.removeSignalListener(name, listener);
    this.#listeners = [];
  }
}
