export { NB201_BUNDLED_TABLE, NB201_COLUMNS, NB201_EDGES, Nb201Benchmark, parseNb201Arch } from './nb201';
