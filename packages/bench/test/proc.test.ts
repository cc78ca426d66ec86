import { listeningInodes, parsePeakRss, parseProcStat, treeCpuTicks } from '../src/proc';

describe('parseProcStat', () => {
  it('reads ppid and CPU ticks, counting fields after a command name with spaces and parens', () => {
    const stat =
      '4242 (node (bench) x) S 17 4242 4242 0 -1 4194560 1000 0 0 0 250 75 9 4 20 0 11 0 12345 1000000 5000 18446744073709551615';
    expect(parseProcStat(stat)).toEqual({
      pid: 4242,
      ppid: 17,
      cpuTicks: 325,
      childrenCpuTicks: 13,
    });
  });
});

describe('parsePeakRss', () => {
  it('reads VmHWM in bytes', () => {
    expect(
      parsePeakRss('Name:\tnode\nVmPeak:\t 900 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1 kB\n'),
    ).toBe(123456 * 1024);
    expect(parsePeakRss('Name:\tkthreadd\n')).toBeNaN();
  });
});

describe('listeningInodes', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:3C8C 00000000:0000 0A 00000000:00000000 00:00000000 00000000   104        0 111 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:3C8C 0100007F:D431 01 00000000:00000000 00:00000000 00000000   104        0 222 1 0000000000000000 20 4 30 10 -1',
    '   2: 0100007F:4A9C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0',
  ].join('\n');

  it('finds the listening socket of a port, not its connections', () => {
    expect(listeningInodes(table, 0x3c8c)).toEqual(['111']);
    expect(listeningInodes(table, 19100)).toEqual(['333']);
    expect(listeningInodes(table, 80)).toEqual([]);
  });
});

describe('treeCpuTicks', () => {
  it('adds a process, its live descendants and what each reaped', () => {
    const stats = [
      { pid: 1, ppid: 0, cpuTicks: 1000, childrenCpuTicks: 0 },
      { pid: 10, ppid: 1, cpuTicks: 5, childrenCpuTicks: 7 },
      { pid: 11, ppid: 10, cpuTicks: 20, childrenCpuTicks: 0 },
      { pid: 12, ppid: 10, cpuTicks: 30, childrenCpuTicks: 1 },
      { pid: 13, ppid: 1, cpuTicks: 400, childrenCpuTicks: 0 },
    ];
    expect(treeCpuTicks(10, stats)).toBe(5 + 7 + 20 + 30 + 1);
    expect(treeCpuTicks(99, stats)).toBeNaN();
  });
});
