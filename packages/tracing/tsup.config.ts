import { libraryConfig } from '../../tsup.library.ts';

export default libraryConfig(new URL('./package.json', import.meta.url));
