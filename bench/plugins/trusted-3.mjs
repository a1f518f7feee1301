import { benchPlugin } from './bench-plugin.mjs';

export default benchPlugin('trusted', 3);
