/** The keys the test gateways accept (API_KEYS). */
export const API_KEY = 'test-key-one';
export const OTHER_API_KEY = 'test-key-two';
