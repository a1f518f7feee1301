import { benchPlugin } from './bench-plugin.mjs';

export default benchPlugin('sandboxed', 3);
