"""The versioned REST API: wiring, problem-JSON errors, pagination and role permissions."""
