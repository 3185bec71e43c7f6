export * from './environment-variable';
export * from './prefect-api';
export * from './prefect-database';
export * from './prefect-image';
export * from './prefect-redis';
export * from './prefect-version';
export * from './secret-key-reference';
