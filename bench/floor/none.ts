// SDK floor for functions that use no AWS client (health, openapi, the Cognito trigger): nothing.
export {};
