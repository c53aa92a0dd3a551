#!/usr/bin/env python3
"""bench-report.py JSON LOG...: the table of `make bench`.

Each LOG is a console log named KERNEL-ROUND.log holding "@@ bench NAME VALUE
UNIT" lines (guest/bench.sh). Prints, per measurement, the median over the
rounds for stock and ours and the ratio ours/stock as a Markdown table, lists
the warnings, and writes everything (every value too) to JSON.
"""
import json
import os
import re
import statistics
import sys

LINE = re.compile(r'@@ bench (\S+) (\S+) (\S+)')
WARN = re.compile(r'@@ bench-warn (.*)')


def main():
    out, logs = sys.argv[1], sys.argv[2:]
    values, units, order, warnings, rounds = {}, {}, [], [], {}
    for log in sorted(logs):
        kernel, rnd = os.path.basename(log)[:-len('.log')].rsplit('-', 1)
        rounds.setdefault(kernel, []).append(int(rnd))
        done = False
        with open(log, errors='replace') as f:
            for line in f:
                if line.startswith('@@ done'):
                    done = True
                m = LINE.search(line)
                if m:
                    name, value, unit = m.groups()
                    if name not in units:
                        order.append(name)
                    units[name] = unit
                    values.setdefault(name, {}).setdefault(kernel, []).append(float(value))
                m = WARN.search(line)
                if m:
                    warnings.append('%s round %s: %s' % (kernel, rnd, m.group(1)))
        if not done:
            warnings.append('%s round %s: the guest did not finish (%s)' % (kernel, rnd, log))

    rows = []
    print('| workload | unit | stock | ours | ours/stock |')
    print('|---|---|---:|---:|---:|')
    for name in order:
        med = {k: statistics.median(v) for k, v in values[name].items()}
        ratio = None
        if 'stock' in med and 'ours' in med and med['stock'] != 0:
            ratio = med['ours'] / med['stock']
        cell = {k: ('%g' % med[k]) if k in med else '-' for k in ('stock', 'ours')}
        for k in ('stock', 'ours'):
            n = len(values[name].get(k, []))
            if n != len(rounds.get(k, [])):
                cell[k] += ' (%d of %d)' % (n, len(rounds.get(k, [])))
        print('| %s | %s | %s | %s | %s |' % (name, units[name], cell['stock'], cell['ours'],
                                            '%.2f' % ratio if ratio is not None else '-'))
        rows.append({'name': name, 'unit': units[name], 'values': values[name],
                     'median': med, 'ratio': ratio})
    for w in warnings:
        print('warning: ' + w)
    with open(out, 'w') as f:
        json.dump({'rounds': rounds, 'rows': rows, 'warnings': warnings}, f, indent=1)
    print('(medians over %s rounds; ours/stock < 1 means ours is cheaper, except for '
          'hits/s and x, where higher is better; JSON in %s)'
          % (max(len(r) for r in rounds.values()) if rounds else 0, out))


if __name__ == '__main__':
    main()
