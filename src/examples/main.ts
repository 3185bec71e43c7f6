import { App } from 'cdk8s';
import { buildVariants } from './variants';

const app = new App();
buildVariants(app);
app.synth();
