import { App } from 'aws-cdk-lib';
import { buildApp } from './build.js';

buildApp(new App());
