// Test files never inherit the developer's DATABASE_URL or DATA_DIR: each builds its own configuration.
process.env.NODE_ENV = 'test';
