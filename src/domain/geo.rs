//! Distances on the sphere, for geofenced check-in points.

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres (haversine).
pub fn distance_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lng2 - lng1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

pub fn valid_coordinates(lat: f64, lng: f64) -> bool {
    lat.is_finite()
        && lng.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senado_square_to_ruins_of_st_paul_is_about_450_m() {
        let d = distance_m(22.19367, 113.53913, 22.19739, 113.54087);
        assert!((400.0..500.0).contains(&d), "{d}");
    }

    #[test]
    fn same_point_is_zero_and_coordinates_are_checked() {
        assert!(distance_m(22.15, 113.55, 22.15, 113.55) < 1e-6);
        assert!(valid_coordinates(22.15, 113.55));
        assert!(!valid_coordinates(91.0, 0.0));
        assert!(!valid_coordinates(f64::NAN, 0.0));
    }
}
