import { CandidateSet, measureLatencyTable, SilentProgress } from '@absnas/core';
import { Nb201Space } from '@absnas/space-nb201';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { latencyModel } from '../src/cost-model';

describe('latency table', () => {
  it('is measured per operator and read back as a cost model over the remaining candidates', () => {
    const space = new Nb201Space({ channels: 4, cellsPerStage: 1 });
    const input = { height: 8, width: 8, channels: 1, numClasses: 4 };
    const backend = { name: 'test', package: 'test' } as never;
    const table = measureLatencyTable(space, input, backend, { batchSize: 2, repeats: 2 }, new SilentProgress());
    expect(table.base).toEqual(Array(6).fill('none'));
    expect(Object.keys(table.ops)).toEqual(['1<-0', '2<-0', '2<-1', '3<-0', '3<-1', '3<-2']);
    for (const row of Object.values(table.ops)) expect(Object.keys(row)).toEqual(['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']);
    expect(table.baseMs).toBeGreaterThan(0);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-lat-')), 'table.json');
    fs.writeFileSync(file, JSON.stringify(table));
    // a shrunk space whose first candidates differ from the table's base: the model is re-based
    const shrunk = new CandidateSet(space.choicePoints, space.choicePoints.map(() => ['nor_conv_3x3', 'skip_connect']));
    const model = latencyModel(file, space, shrunk);
    expect(model.base).toBeCloseTo(table.baseMs + Object.values(table.ops).reduce((s, r) => s + r.nor_conv_3x3, 0), 9);
    model.marginal.forEach((m, i) => {
      const row = Object.values(table.ops)[i];
      expect(m[0]).toBe(0);
      expect(m[1]).toBeCloseTo(row.skip_connect - row.nor_conv_3x3, 9);
    });
    expect(() => latencyModel(path.join(path.dirname(file), 'missing.json'), space, shrunk)).toThrow(/latency table .*missing\.json: cannot be read/);
  });
});
