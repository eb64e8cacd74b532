import { describe, expect, it } from 'vitest';
import { mergePoints, type RangeAnswer } from '../../src/dashboard/prometheus-history.js';
import { parseCommandLine } from '../../src/cli/args.js';

// Prometheus' query_range answers (as its HTTP API returns them) -> the dashboard's chart points.

const answer = (values: Array<[number, string]>): RangeAnswer => ({
  status: 'success',
  data: { resultType: 'matrix', result: [{ metric: { addon: 'shop', host: 'db-1', member: 'dbform-shop' }, values }] },
});

describe('mergePoints', () => {
  it('lines the figures up by time; a time a figure lacks is null for it', () => {
    const points = mergePoints({
      cpuPercent: answer([[1000, '12.5'], [1010, '3']]),
      memoryBytes: answer([[1010, '1048576'], [1000, '2097152']]),
      connections: answer([[1020, '4']]),
    });
    expect(points).toEqual([
      { t: 1000, cpuPercent: 12.5, memoryBytes: 2097152, memoryLimitBytes: null, swapBytes: null, dataBytes: null, diskBytes: null, connections: null },
      { t: 1010, cpuPercent: 3, memoryBytes: 1048576, memoryLimitBytes: null, swapBytes: null, dataBytes: null, diskBytes: null, connections: null },
      { t: 1020, cpuPercent: null, memoryBytes: null, memoryLimitBytes: null, swapBytes: null, dataBytes: null, diskBytes: null, connections: 4 },
    ]);
  });

  it('no series yet: no points; NaN is no value; an error answer throws', () => {
    expect(mergePoints({ cpuPercent: { status: 'success', data: { resultType: 'matrix', result: [] } } })).toEqual([]);
    expect(mergePoints({ diskBytes: answer([[5, 'NaN']]) })[0]!.diskBytes).toBeNull();
    expect(() => mergePoints({ cpuPercent: { status: 'error', error: 'parse error at char 3' } })).toThrow('Prometheus answered error: parse error at char 3');
  });
});

describe('dashboard flags', () => {
  it('--listen, --interval, --prometheus URL', () => {
    expect(parseCommandLine(['dashboard'])).toEqual({ kind: 'run', invocation: { command: 'dashboard', file: 'databases.yaml', listen: '127.0.0.1:8484', intervalSeconds: 10 } });
    expect(parseCommandLine(['dashboard', '--listen', '0.0.0.0:9000', '--interval', '2', '--prometheus', 'http://127.0.0.1:9090'])).toEqual({
      kind: 'run',
      invocation: { command: 'dashboard', file: 'databases.yaml', listen: '0.0.0.0:9000', intervalSeconds: 2, prometheus: 'http://127.0.0.1:9090' },
    });
    expect(parseCommandLine(['dashboard', '--interval', '0.5'])).toEqual({ kind: 'error', message: '--interval must be at least 1 second' });
    expect(parseCommandLine(['dashboard', '--prometheus', 'prom:9090'])).toEqual({ kind: 'error', message: '--prometheus must be an http:// or https:// URL' });
  });
});
