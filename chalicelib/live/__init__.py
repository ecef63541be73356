"""Live users (issue 13, the seed's diagram 17): presence of app clients in Redis, their activity,
and pushes of who appeared / left to the admin panel's WebSockets."""
