/**
 * Linux /proc readers: a process's stat fields and its start time, which with its pid names one process for good.
 * Undefined where /proc has no such process (gone, or another system).
 */
import { readFileSync } from 'node:fs';

/**
 * The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses): [0] state, [1] ppid,
 * [2] pgrp, … [19] starttime (fields 3, 4, 5 and 22 of proc(5)); undefined when the process is gone.
 */
export function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * When a process started, in clock ticks since boot, as a string; undefined when it is not running. With its pid it
 * names one process for good: a pid taken again later has another start.
 */
export function processStartOf(pid: number): string | undefined {
  return statFields(pid)?.[19];
}
